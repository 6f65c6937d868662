-- Invitations: PostgreSQL (and CockroachDB) translation of migrations/sqlite/0006.
-- An owner invites an e-mail address to a tenant with a role; the membership
-- exists only once the invitee accepts with the token (its SHA-256 here).

CREATE TABLE tenant_invitations (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email VARCHAR(254) NOT NULL,              -- normalized (lower-cased), as accounts.email
  role VARCHAR(16) NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  tokenHash CHAR(64) NOT NULL,              -- hex SHA-256 of the token; the token itself is never stored
  invitedByAccountId uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  createdAt timestamptz NOT NULL,
  expiresAt timestamptz NOT NULL,
  acceptedAt timestamptz NULL,
  acceptedByAccountId uuid NULL REFERENCES accounts (id) ON DELETE SET NULL,
  revokedAt timestamptz NULL
);

CREATE UNIQUE INDEX unique_tenant_invitations_token ON tenant_invitations (tokenHash);

CREATE INDEX idx_tenant_invitations_page ON tenant_invitations (tenantId, createdAt, id);

CREATE INDEX idx_tenant_invitations_email ON tenant_invitations (tenantId, email);
