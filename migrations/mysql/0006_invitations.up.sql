-- Invitations: MySQL/MariaDB translation of migrations/sqlite/0006.
-- An owner invites an e-mail address to a tenant with a role; the membership
-- exists only once the invitee accepts with the token (its SHA-256 here).

CREATE TABLE tenant_invitations (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  email VARCHAR(254) NOT NULL,              -- normalized (lower-cased), as accounts.email
  role ENUM('editor', 'owner', 'viewer') NOT NULL,
  tokenHash CHAR(64) NOT NULL,              -- hex SHA-256 of the token; the token itself is never stored
  invitedByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  expiresAt DATETIME(3) NOT NULL,
  acceptedAt DATETIME(3) NULL,
  acceptedByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  revokedAt DATETIME(3) NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (invitedByAccountId) REFERENCES accounts (id) ON DELETE CASCADE,
  FOREIGN KEY (acceptedByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE UNIQUE INDEX unique_tenant_invitations_token ON tenant_invitations (tokenHash);

CREATE INDEX idx_tenant_invitations_page ON tenant_invitations (tenantId, createdAt, id);

CREATE INDEX idx_tenant_invitations_email ON tenant_invitations (tenantId, email);
