-- The OAuth application of an SCM integration whose access token expires
-- (issue 17, docs/deployments.md "OAuth tokens"): GitLab, Gitea and
-- Bitbucket refuse a refresh without the client's id and secret. The
-- secret is encrypted like every credential (the rekey list takes it from
-- the provider fields).
ALTER TABLE tenant_scm_integrations ADD COLUMN clientId VARCHAR(255) NULL;
ALTER TABLE tenant_scm_integrations ADD COLUMN clientSecret TEXT NULL;   -- encrypted
