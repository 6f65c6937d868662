-- Foundation: tenants, accounts, roles, tokens and the audit trail.
-- MySQL/MariaDB translation of migrations/sqlite/0001, in the DDL style of
-- document 001: the same tables, columns, nullability, keys and index names,
-- InnoDB; IDs CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin, exactly as the
-- document writes tenantId (a UUID is ASCII; every column holding one has
-- this type, as InnoDB foreign keys require); times DATETIME(3) in UTC
-- (the timestamps slipway makes carry milliseconds); type and status
-- columns ENUM.
-- IDs and times are made in C: no default invents either.
--
-- Charset: tables are DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin, a
-- deliberate deviation from the latin1 of the document. The API accepts any
-- Unicode name (orgName, displayName, ...), which latin1 would corrupt; and
-- the _bin collation keeps comparisons, ORDER BY and unique keys byte-exact,
-- as they are on SQLite and PostgreSQL (a case- or accent-insensitive
-- collation would call Acme and acme duplicates on MySQL alone).
--
-- ENUM values are listed in alphabetical order, not as the document has
-- them: MySQL sorts an ENUM column by its position in the list, so this
-- order makes ORDER BY on one agree with SQLite and PostgreSQL.
--
-- One statement per transaction (the runner splits at a `;` ending a line,
-- outside quotes), so no statement may end a line early; triggers are single
-- statements without BEGIN ... END. Foreign keys are table constraints:
-- InnoDB ignores a REFERENCES clause written on a column.

CREATE TABLE tenants (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  orgName VARCHAR(200) NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  deletedAt DATETIME(3) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE accounts (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  email VARCHAR(254) NOT NULL,              -- stored lower-cased: unique case-insensitively
  name VARCHAR(200) NOT NULL,
  passwordHash VARCHAR(255) NULL,           -- argon2id PHC string; NULL: no password login
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE UNIQUE INDEX unique_accounts_email ON accounts (email);

CREATE TABLE tenant_members (
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  accountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  role ENUM('editor', 'owner', 'viewer') NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  PRIMARY KEY (tenantId, accountId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (accountId) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_tenant_members_account ON tenant_members (accountId);

CREATE INDEX idx_tenant_members_page ON tenant_members (tenantId, createdAt, accountId);

CREATE TABLE api_tokens (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  accountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  name VARCHAR(200) NOT NULL,
  tokenHash CHAR(64) NOT NULL,              -- hex SHA-256 of the token; the token itself is never stored
  prefix VARCHAR(16) NOT NULL,              -- first characters, for display
  createdAt DATETIME(3) NOT NULL,
  lastUsedAt DATETIME(3) NULL,              -- written in batches, not per request
  expiresAt DATETIME(3) NULL,
  revokedAt DATETIME(3) NULL,
  FOREIGN KEY (accountId) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE UNIQUE INDEX unique_api_tokens_hash ON api_tokens (tokenHash);

CREATE INDEX idx_api_tokens_account ON api_tokens (accountId, createdAt, id);

-- Append-only: who did what, where, and how it ended. Never a secret.
-- No foreign keys: the trail outlives the accounts and tenants it names.
CREATE TABLE audit_logs (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  actorAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  actorEmail VARCHAR(254) NULL,
  action VARCHAR(64) NOT NULL,
  targetType VARCHAR(64) NULL,
  targetId VARCHAR(255) NULL,
  outcome ENUM('failure', 'success') NOT NULL,
  details JSON NULL,
  ip VARCHAR(64) NULL,
  userAgent VARCHAR(512) NULL,
  requestId VARCHAR(64) NULL,
  createdAt DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_audit_logs_tenant ON audit_logs (tenantId, createdAt, id);

-- The RAISE(ABORT) triggers of SQLite.
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_logs is append-only';

CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_logs is append-only';
