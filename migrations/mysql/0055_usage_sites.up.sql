-- Usage per site (issue 19: tenant_usage unique per tenant, site, usage type and day; docs/sites.md
-- "Usage per site"). siteId is the site a count belongs to, or '' for the tenant's own (API requests,
-- releases, ...): a NULL would not do, since PostgreSQL and MariaDB hold NULLs in a unique key distinct,
-- so "no site" would not be one key. No foreign key: a deleted site's usage stays the tenant's history.
ALTER TABLE usage_events ADD COLUMN siteId VARCHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT '';
-- One statement: the new key starts with tenantId, so the foreign key keeps an index throughout.
ALTER TABLE tenant_usage ADD COLUMN siteId VARCHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT '',
  DROP INDEX unique_tenant_usage, ADD CONSTRAINT unique_tenant_usage UNIQUE (tenantId, siteId, day, metric);
