ALTER TABLE tenant_scm_integrations DROP COLUMN clientSecret;
ALTER TABLE tenant_scm_integrations DROP COLUMN clientId;
