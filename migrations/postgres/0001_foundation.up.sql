-- Foundation: tenants, accounts, roles, tokens and the audit trail.
-- PostgreSQL (and CockroachDB) translation of migrations/sqlite/0001: the same
-- tables, columns, nullability, keys and index names, with native types.
-- IDs are uuid and timestamps timestamptz, both made in C (never a DB default,
-- never a sequence). Columns are camelCase and unquoted: PostgreSQL folds them
-- to lower case, and so do the unquoted names in every query.
-- One statement per transaction (the runner splits at a `;` ending a line,
-- outside quotes and dollar-quoted blocks), so no statement may end a line early.

CREATE TABLE tenants (
  id uuid NOT NULL PRIMARY KEY,
  orgName VARCHAR(200) NOT NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  deletedAt timestamptz NULL
);

CREATE TABLE accounts (
  id uuid NOT NULL PRIMARY KEY,
  email VARCHAR(254) NOT NULL,              -- stored lower-cased: unique case-insensitively
  name VARCHAR(200) NOT NULL,
  passwordHash VARCHAR(255) NULL,           -- argon2id PHC string; NULL: no password login
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL
);

CREATE UNIQUE INDEX unique_accounts_email ON accounts (email);

CREATE TABLE tenant_members (
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  accountId uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  role VARCHAR(16) NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  PRIMARY KEY (tenantId, accountId)
);

CREATE INDEX idx_tenant_members_account ON tenant_members (accountId);

CREATE INDEX idx_tenant_members_page ON tenant_members (tenantId, createdAt, accountId);

CREATE TABLE api_tokens (
  id uuid NOT NULL PRIMARY KEY,
  accountId uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name VARCHAR(200) NOT NULL,
  tokenHash CHAR(64) NOT NULL,              -- hex SHA-256 of the token; the token itself is never stored
  prefix VARCHAR(16) NOT NULL,              -- first characters, for display
  createdAt timestamptz NOT NULL,
  lastUsedAt timestamptz NULL,              -- written in batches, not per request
  expiresAt timestamptz NULL,
  revokedAt timestamptz NULL
);

CREATE UNIQUE INDEX unique_api_tokens_hash ON api_tokens (tokenHash);

CREATE INDEX idx_api_tokens_account ON api_tokens (accountId, createdAt, id);

-- Append-only: who did what, where, and how it ended. Never a secret.
-- No foreign keys: the trail outlives the accounts and tenants it names.
-- targetId and requestId are not always UUIDs, so they stay text.
CREATE TABLE audit_logs (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NULL,
  actorAccountId uuid NULL,
  actorEmail VARCHAR(254) NULL,
  action VARCHAR(64) NOT NULL,
  targetType VARCHAR(64) NULL,
  targetId VARCHAR(255) NULL,
  outcome VARCHAR(16) NOT NULL CHECK (outcome IN ('success', 'failure')),
  details jsonb NULL,
  ip VARCHAR(64) NULL,
  userAgent VARCHAR(512) NULL,
  requestId VARCHAR(64) NULL,
  createdAt timestamptz NOT NULL
);

CREATE INDEX idx_audit_logs_tenant ON audit_logs (tenantId, createdAt, id);

-- The RAISE(ABORT) triggers of SQLite, as one plpgsql function behind two triggers.
CREATE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_logs is append-only';
END;
$$;

CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();

CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_append_only();
