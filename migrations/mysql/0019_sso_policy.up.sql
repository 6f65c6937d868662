-- Single sign-on policy (issue 18, docs/sso.md): how a login page finds a
-- tenant's identity providers (the tenant's slug, or a work e-mail's
-- domain a provider claims), and a tenant that requires its own sign-on
-- for everyone but one break-glass owner who keeps a password.
ALTER TABLE tenants ADD COLUMN slug VARCHAR(64) NULL;
ALTER TABLE tenants ADD COLUMN ssoRequired BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tenants ADD COLUMN breakGlassAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL;
CREATE UNIQUE INDEX unique_tenants_slug ON tenants (slug);

-- The tenant whose identity provider signed this token's session in; NULL
-- for a password login. A token made by such a session inherits it.
ALTER TABLE api_tokens ADD COLUMN ssoTenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL;

-- E-mail domains a provider claims, one provider an instance each.
CREATE TABLE iam_domains (
  domain VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY, -- lower-case
  providerId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  FOREIGN KEY (providerId) REFERENCES iam_providers (id) ON DELETE CASCADE,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_iam_domains_provider ON iam_domains (providerId);
