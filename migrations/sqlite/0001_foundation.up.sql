-- Foundation: tenants, accounts, roles, tokens and the audit trail.
-- Tables are snake_case, columns camelCase (as in the release-management
-- documents). IDs are UUIDs and timestamps RFC 3339 UTC text, both made in C.

CREATE TABLE tenants (
  id CHAR(36) NOT NULL PRIMARY KEY,
  orgName VARCHAR(200) NOT NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  deletedAt VARCHAR(24) NULL
);

CREATE TABLE accounts (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  email VARCHAR(254) NOT NULL,              -- stored lower-cased: unique case-insensitively
  name VARCHAR(200) NOT NULL,
  passwordHash VARCHAR(255) NULL,           -- argon2id PHC string; NULL: no password login
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL
);
CREATE UNIQUE INDEX unique_accounts_email ON accounts (email);

CREATE TABLE tenant_members (
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  accountId VARCHAR(255) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  role VARCHAR(16) NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  PRIMARY KEY (tenantId, accountId)
);
CREATE INDEX idx_tenant_members_account ON tenant_members (accountId);
CREATE INDEX idx_tenant_members_page ON tenant_members (tenantId, createdAt, accountId);

CREATE TABLE api_tokens (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  accountId VARCHAR(255) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name VARCHAR(200) NOT NULL,
  tokenHash CHAR(64) NOT NULL,              -- hex SHA-256 of the token; the token itself is never stored
  prefix VARCHAR(16) NOT NULL,              -- first characters, for display
  createdAt VARCHAR(24) NOT NULL,
  lastUsedAt VARCHAR(24) NULL,              -- written in batches, not per request
  expiresAt VARCHAR(24) NULL,
  revokedAt VARCHAR(24) NULL
);
CREATE UNIQUE INDEX unique_api_tokens_hash ON api_tokens (tokenHash);
CREATE INDEX idx_api_tokens_account ON api_tokens (accountId, createdAt, id);

-- Append-only: who did what, where, and how it ended. Never a secret.
-- No foreign keys: the trail outlives the accounts and tenants it names.
CREATE TABLE audit_logs (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NULL,
  actorAccountId VARCHAR(255) NULL,
  actorEmail VARCHAR(254) NULL,
  action VARCHAR(64) NOT NULL,
  targetType VARCHAR(64) NULL,
  targetId VARCHAR(255) NULL,
  outcome VARCHAR(16) NOT NULL CHECK (outcome IN ('success', 'failure')),
  details TEXT NULL,                        -- JSON
  ip VARCHAR(64) NULL,
  userAgent VARCHAR(512) NULL,
  requestId VARCHAR(64) NULL,
  createdAt VARCHAR(24) NOT NULL
);
CREATE INDEX idx_audit_logs_tenant ON audit_logs (tenantId, createdAt, id);

CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN SELECT RAISE(ABORT, 'audit_logs is append-only'); END;
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN SELECT RAISE(ABORT, 'audit_logs is append-only'); END;
