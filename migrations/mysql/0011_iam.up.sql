-- Single sign-on: MySQL/MariaDB translation of migrations/sqlite/0011.

CREATE TABLE iam_providers (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  name VARCHAR(200) NOT NULL,
  type ENUM('AUTH0', 'AZURE', 'GOOGLE', 'OIDC', 'OKTA') NOT NULL,
  issuer VARCHAR(2048) NOT NULL,
  clientId VARCHAR(255) NOT NULL,
  clientSecret TEXT NOT NULL,               -- encrypted
  scopes VARCHAR(1024) NOT NULL,            -- space-separated, "openid" among them
  groupsClaim VARCHAR(255) NOT NULL,        -- the claim that carries the user's groups
  defaultRole ENUM('editor', 'owner', 'viewer') NULL,
  strict BOOLEAN NOT NULL DEFAULT FALSE,    -- no matching group rule: the login is refused
  allowSignup BOOLEAN NOT NULL DEFAULT FALSE, -- just-in-time accounts and memberships
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  lastSyncAt DATETIME(3) NULL,              -- the last login that went through
  lastError TEXT NULL,                      -- the last login that failed at the provider, for the owner
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_iam_providers_tenant ON iam_providers (tenantId, createdAt, id);

CREATE TABLE iam_user_mappings (
  providerId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  subject VARCHAR(255) NOT NULL,            -- the ID token's sub
  accountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  lastLoginAt DATETIME(3) NOT NULL,
  PRIMARY KEY (providerId, subject),
  FOREIGN KEY (providerId) REFERENCES iam_providers (id) ON DELETE CASCADE,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (accountId) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_iam_user_mappings_account ON iam_user_mappings (accountId);

CREATE TABLE iam_group_mappings (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  providerId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  groupValue VARCHAR(255) NOT NULL,
  role ENUM('editor', 'owner', 'viewer') NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,      -- the matching rule of highest priority wins
  CONSTRAINT unique_iam_group_mappings UNIQUE (providerId, groupValue),
  FOREIGN KEY (providerId) REFERENCES iam_providers (id) ON DELETE CASCADE,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A login in flight: state (its hash: the key), nonce and PKCE verifier, single use, minutes long.
CREATE TABLE iam_login_states (
  stateHash CHAR(64) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  providerId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  nonce VARCHAR(64) NOT NULL,
  codeVerifier VARCHAR(128) NOT NULL,
  expiresAt DATETIME(3) NOT NULL,
  FOREIGN KEY (providerId) REFERENCES iam_providers (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_iam_login_states_expires ON iam_login_states (expiresAt);
