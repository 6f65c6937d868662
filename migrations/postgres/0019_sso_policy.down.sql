DROP TABLE iam_domains;
ALTER TABLE api_tokens DROP COLUMN ssoTenantId;
DROP INDEX unique_tenants_slug;
ALTER TABLE tenants DROP COLUMN breakGlassAccountId;
ALTER TABLE tenants DROP COLUMN ssoRequired;
ALTER TABLE tenants DROP COLUMN slug;
