-- Usage metering from append-only events, and limits (issue 19, docs/sites.md "Usage metering").
-- usage_events: each process appends one row per (tenant, day, metric) per flush; the recurring
-- usage-rollup job adds them to tenant_usage and deletes them in one transaction, so each is counted once.
-- tenant_limits: the instance administrator's limits per tenant, metric and period.
-- tenant_usage's metric list grows by the metrics other modules count.
ALTER TABLE tenant_usage DROP CONSTRAINT tenant_usage_metric_check;
ALTER TABLE tenant_usage ADD CONSTRAINT tenant_usage_metric_check CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent'));

CREATE TABLE usage_events (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day CHAR(10) NOT NULL,                    -- YYYY-MM-DD, UTC: the day the counts were made
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent')),
  count BIGINT NOT NULL CHECK (count > 0),
  createdAt timestamptz NOT NULL
);
CREATE INDEX idx_usage_events_rollup ON usage_events (createdAt, id);
CREATE INDEX idx_usage_events_tenant ON usage_events (tenantId, day);

CREATE TABLE tenant_limits (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent')),
  period VARCHAR(8) NOT NULL CHECK (period IN ('day', 'month')),
  max BIGINT NOT NULL CHECK (max >= 0),
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_tenant_limits UNIQUE (tenantId, metric, period)
);
