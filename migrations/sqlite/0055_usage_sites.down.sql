-- Back to one row per (tenant, day, metric): a day's sites are summed into it (a gauge's rows too:
-- storageBytes per site are parts of the tenant's reading).
CREATE TABLE tenant_usage_old (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day CHAR(10) NOT NULL,                    -- YYYY-MM-DD, UTC
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent', 'storageBytes')),
  count BIGINT NOT NULL DEFAULT 0 CHECK (count >= 0),
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_tenant_usage UNIQUE (tenantId, day, metric)
);
INSERT INTO tenant_usage_old (id, tenantId, day, metric, count, updatedAt)
  SELECT MIN(id), tenantId, day, metric, SUM(count), MAX(updatedAt) FROM tenant_usage GROUP BY tenantId, day, metric;
DROP TABLE tenant_usage;
ALTER TABLE tenant_usage_old RENAME TO tenant_usage;
ALTER TABLE usage_events DROP COLUMN siteId;
