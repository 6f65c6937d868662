-- Usage per site (issue 19: tenant_usage unique per tenant, site, usage type and day; docs/sites.md
-- "Usage per site"). siteId is the site a count belongs to, or '' for the tenant's own (API requests,
-- releases, ...): a NULL would not do, since PostgreSQL and MariaDB hold NULLs in a unique key distinct,
-- so "no site" would not be one key. No foreign key: a deleted site's usage stays the tenant's history.
ALTER TABLE usage_events ADD COLUMN siteId VARCHAR(36) NOT NULL DEFAULT '';
-- SQLite cannot change a UNIQUE constraint in place: tenant_usage is made again, siteId last as on the others.
CREATE TABLE tenant_usage_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day CHAR(10) NOT NULL,                    -- YYYY-MM-DD, UTC
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent', 'storageBytes')),
  count BIGINT NOT NULL DEFAULT 0 CHECK (count >= 0),
  updatedAt VARCHAR(24) NOT NULL,
  siteId VARCHAR(36) NOT NULL DEFAULT '',   -- '' : the tenant's, no site
  CONSTRAINT unique_tenant_usage UNIQUE (tenantId, siteId, day, metric)
);
INSERT INTO tenant_usage_new (id, tenantId, day, metric, count, updatedAt, siteId)
  SELECT id, tenantId, day, metric, count, updatedAt, '' FROM tenant_usage;
DROP TABLE tenant_usage;
ALTER TABLE tenant_usage_new RENAME TO tenant_usage;
