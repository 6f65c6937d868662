-- Single sign-on policy (issue 18, docs/sso.md): how a login page finds a
-- tenant's identity providers (the tenant's slug, or a work e-mail's
-- domain a provider claims), and a tenant that requires its own sign-on
-- for everyone but one break-glass owner who keeps a password.
ALTER TABLE tenants ADD COLUMN slug VARCHAR(64) NULL;
ALTER TABLE tenants ADD COLUMN ssoRequired BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tenants ADD COLUMN breakGlassAccountId uuid NULL;
CREATE UNIQUE INDEX unique_tenants_slug ON tenants (slug);

-- The tenant whose identity provider signed this token's session in; NULL
-- for a password login. A token made by such a session inherits it.
ALTER TABLE api_tokens ADD COLUMN ssoTenantId uuid NULL;

-- E-mail domains a provider claims, one provider an instance each.
CREATE TABLE iam_domains (
  domain VARCHAR(253) NOT NULL PRIMARY KEY, -- lower-case
  providerId uuid NOT NULL REFERENCES iam_providers (id) ON DELETE CASCADE,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE INDEX idx_iam_domains_provider ON iam_domains (providerId);
