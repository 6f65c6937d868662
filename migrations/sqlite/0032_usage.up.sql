-- Usage metering from append-only events, and limits (issue 19, docs/sites.md "Usage metering").
-- usage_events: each process appends one row per (tenant, day, metric) per flush; the recurring
-- usage-rollup job adds them to tenant_usage and deletes them in one transaction, so each is counted once.
-- tenant_limits: the instance administrator's limits per tenant, metric and period.
-- tenant_usage's metric list grows by the metrics other modules count.
-- SQLite cannot change a CHECK in place: tenant_usage is made again.
CREATE TABLE tenant_usage_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day CHAR(10) NOT NULL,                    -- YYYY-MM-DD, UTC
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent')),
  count BIGINT NOT NULL DEFAULT 0 CHECK (count >= 0),
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_tenant_usage UNIQUE (tenantId, day, metric)
);
INSERT INTO tenant_usage_new (id, tenantId, day, metric, count, updatedAt)
  SELECT id, tenantId, day, metric, count, updatedAt FROM tenant_usage;
DROP TABLE tenant_usage;
ALTER TABLE tenant_usage_new RENAME TO tenant_usage;

CREATE TABLE usage_events (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day CHAR(10) NOT NULL,                    -- YYYY-MM-DD, UTC: the day the counts were made
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent')),
  count BIGINT NOT NULL CHECK (count > 0),
  createdAt VARCHAR(24) NOT NULL
);
CREATE INDEX idx_usage_events_rollup ON usage_events (createdAt, id);
CREATE INDEX idx_usage_events_tenant ON usage_events (tenantId, day);

CREATE TABLE tenant_limits (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent')),
  period VARCHAR(8) NOT NULL CHECK (period IN ('day', 'month')),
  max BIGINT NOT NULL CHECK (max >= 0),
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_tenant_limits UNIQUE (tenantId, metric, period)
);
