-- Invitations: an owner invites an e-mail address to a tenant with a role;
-- the membership exists only once the invitee accepts, with the token the
-- invitation answered once (its SHA-256 here, as for api_tokens). Adding
-- someone no longer places them in a tenant without their consent, nor tells
-- the owner whether the address has an account.
-- A tenant has at most one pending invitation (not accepted, not revoked) per
-- address: a new one revokes the old in the same transaction (tenant_tx).

CREATE TABLE tenant_invitations (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email VARCHAR(254) NOT NULL,              -- normalized (lower-cased), as accounts.email
  role VARCHAR(16) NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  tokenHash CHAR(64) NOT NULL,              -- hex SHA-256 of the token; the token itself is never stored
  invitedByAccountId VARCHAR(255) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  createdAt VARCHAR(24) NOT NULL,
  expiresAt VARCHAR(24) NOT NULL,
  acceptedAt VARCHAR(24) NULL,
  acceptedByAccountId VARCHAR(255) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  revokedAt VARCHAR(24) NULL
);
CREATE UNIQUE INDEX unique_tenant_invitations_token ON tenant_invitations (tokenHash);
CREATE INDEX idx_tenant_invitations_page ON tenant_invitations (tenantId, createdAt, id);
CREATE INDEX idx_tenant_invitations_email ON tenant_invitations (tenantId, email);
