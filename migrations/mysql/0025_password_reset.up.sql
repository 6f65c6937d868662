-- Password reset by e-mail (issue 18, docs/accounts.md): a single-use token,
-- stored as its SHA-256 only, that the mail job writes as it sends the mail
-- (tokenHash NULL until then), expiring after 30 minutes.
CREATE TABLE password_resets (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  accountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  tokenHash CHAR(64) NULL UNIQUE,
  createdAt DATETIME(3) NOT NULL,
  expiresAt DATETIME(3) NOT NULL,
  usedAt DATETIME(3) NULL,
  FOREIGN KEY (accountId) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX password_resets_account ON password_resets (accountId, createdAt);

-- TOTP second factor (issue 18, docs/accounts.md): the secret encrypted
-- (crypto/secret.h, bound to this table, column and the account's id; in
-- the rekey table), confirmed once a code was right, the last step
-- accepted (a code is never accepted twice), and single-use recovery codes
-- stored as their SHA-256.
CREATE TABLE account_totp (
  accountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  secret TEXT NOT NULL,
  confirmedAt DATETIME(3) NULL,
  lastStep BIGINT NULL,
  createdAt DATETIME(3) NOT NULL,
  FOREIGN KEY (accountId) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE account_recovery_codes (
  accountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  codeHash CHAR(64) NOT NULL,
  usedAt DATETIME(3) NULL,
  PRIMARY KEY (accountId, codeHash),
  FOREIGN KEY (accountId) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
