-- Password reset by e-mail (issue 18, docs/accounts.md): a single-use token,
-- stored as its SHA-256 only, that the mail job writes as it sends the mail
-- (tokenHash NULL until then), expiring after 30 minutes.
CREATE TABLE password_resets (
  id uuid NOT NULL PRIMARY KEY,
  accountId uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  tokenHash CHAR(64) NULL UNIQUE,
  createdAt timestamptz NOT NULL,
  expiresAt timestamptz NOT NULL,
  usedAt timestamptz NULL
);
CREATE INDEX password_resets_account ON password_resets (accountId, createdAt);

-- TOTP second factor (issue 18, docs/accounts.md): the secret encrypted
-- (crypto/secret.h, bound to this table, column and the account's id; in
-- the rekey table), confirmed once a code was right, the last step
-- accepted (a code is never accepted twice), and single-use recovery codes
-- stored as their SHA-256.
CREATE TABLE account_totp (
  accountId uuid NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  confirmedAt timestamptz NULL,
  lastStep BIGINT NULL,
  createdAt timestamptz NOT NULL
);
CREATE TABLE account_recovery_codes (
  accountId uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  codeHash CHAR(64) NOT NULL,
  usedAt timestamptz NULL,
  PRIMARY KEY (accountId, codeHash)
);
