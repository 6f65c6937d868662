-- Usage metering from append-only events, and limits (issue 19, docs/sites.md "Usage metering").
-- usage_events: each process appends one row per (tenant, day, metric) per flush; the recurring
-- usage-rollup job adds them to tenant_usage and deletes them in one transaction, so each is counted once.
-- tenant_limits: the instance administrator's limits per tenant, metric and period.
-- tenant_usage's metric list grows by the metrics other modules count.
ALTER TABLE tenant_usage MODIFY metric ENUM('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent') NOT NULL;

CREATE TABLE usage_events (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  day CHAR(10) NOT NULL,
  metric ENUM('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent') NOT NULL,
  count BIGINT NOT NULL CHECK (count > 0),
  createdAt DATETIME(3) NOT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_usage_events_rollup ON usage_events (createdAt, id);
CREATE INDEX idx_usage_events_tenant ON usage_events (tenantId, day);

CREATE TABLE tenant_limits (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  metric ENUM('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent') NOT NULL,
  period ENUM('day', 'month') NOT NULL,
  max BIGINT NOT NULL CHECK (max >= 0),
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_tenant_limits UNIQUE (tenantId, metric, period),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
