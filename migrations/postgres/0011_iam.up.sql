-- Single sign-on: PostgreSQL (and CockroachDB) translation of migrations/sqlite/0011.

CREATE TABLE iam_providers (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name VARCHAR(200) NOT NULL,
  type VARCHAR(16) NOT NULL CHECK (type IN ('AUTH0', 'AZURE', 'GOOGLE', 'OIDC', 'OKTA')),
  issuer VARCHAR(2048) NOT NULL,
  clientId VARCHAR(255) NOT NULL,
  clientSecret TEXT NOT NULL,               -- encrypted
  scopes VARCHAR(1024) NOT NULL,            -- space-separated, "openid" among them
  groupsClaim VARCHAR(255) NOT NULL,        -- the claim that carries the user's groups
  defaultRole VARCHAR(16) NULL CHECK (defaultRole IN ('editor', 'owner', 'viewer')),
  strict BOOLEAN NOT NULL DEFAULT FALSE,    -- no matching group rule: the login is refused
  allowSignup BOOLEAN NOT NULL DEFAULT FALSE, -- just-in-time accounts and memberships
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  lastSyncAt timestamptz NULL,              -- the last login that went through
  lastError TEXT NULL,                      -- the last login that failed at the provider, for the owner
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL
);
CREATE INDEX idx_iam_providers_tenant ON iam_providers (tenantId, createdAt, id);

CREATE TABLE iam_user_mappings (
  providerId uuid NOT NULL REFERENCES iam_providers (id) ON DELETE CASCADE,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  subject VARCHAR(255) NOT NULL,            -- the ID token's sub
  accountId uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  createdAt timestamptz NOT NULL,
  lastLoginAt timestamptz NOT NULL,
  PRIMARY KEY (providerId, subject)
);
CREATE INDEX idx_iam_user_mappings_account ON iam_user_mappings (accountId);

CREATE TABLE iam_group_mappings (
  id uuid NOT NULL PRIMARY KEY,
  providerId uuid NOT NULL REFERENCES iam_providers (id) ON DELETE CASCADE,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  groupValue VARCHAR(255) NOT NULL,
  role VARCHAR(16) NOT NULL CHECK (role IN ('editor', 'owner', 'viewer')),
  priority INTEGER NOT NULL DEFAULT 0,      -- the matching rule of highest priority wins
  CONSTRAINT unique_iam_group_mappings UNIQUE (providerId, groupValue)
);

-- A login in flight: state (its hash: the key), nonce and PKCE verifier, single use, minutes long.
CREATE TABLE iam_login_states (
  stateHash CHAR(64) NOT NULL PRIMARY KEY,
  providerId uuid NOT NULL REFERENCES iam_providers (id) ON DELETE CASCADE,
  nonce VARCHAR(64) NOT NULL,
  codeVerifier VARCHAR(128) NOT NULL,
  expiresAt timestamptz NOT NULL
);
CREATE INDEX idx_iam_login_states_expires ON iam_login_states (expiresAt);
