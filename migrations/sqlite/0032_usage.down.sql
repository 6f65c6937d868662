DROP TABLE IF EXISTS tenant_limits;
DROP TABLE IF EXISTS usage_events;
DELETE FROM tenant_usage WHERE metric NOT IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks');
CREATE TABLE tenant_usage_old (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day CHAR(10) NOT NULL,
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks')),
  count BIGINT NOT NULL DEFAULT 0 CHECK (count >= 0),
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_tenant_usage UNIQUE (tenantId, day, metric)
);
INSERT INTO tenant_usage_old (id, tenantId, day, metric, count, updatedAt)
  SELECT id, tenantId, day, metric, count, updatedAt FROM tenant_usage;
DROP TABLE tenant_usage;
ALTER TABLE tenant_usage_old RENAME TO tenant_usage;
