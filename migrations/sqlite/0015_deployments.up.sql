-- Deployments (document 003; issue 17, docs/deployments.md): a tenant's
-- hosts reached over SSH (the credential encrypted like every secret, the
-- host key pinned on first use), its script library, each deployment (one
-- script on one host) and the deployment's output, a line a row. Statuses
-- follow src/deploy/lifecycle.c, the one transition table.
CREATE TABLE hosts (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name VARCHAR(200) NOT NULL,
  type VARCHAR(16) NOT NULL CHECK (type IN ('docker', 'ssh')),
  address VARCHAR(255) NOT NULL,            -- a host name or an IP address
  port INTEGER NOT NULL,
  username VARCHAR(255) NOT NULL,
  authMethod VARCHAR(16) NOT NULL CHECK (authMethod IN ('key', 'password')),
  secret TEXT NOT NULL,                     -- the password or private key, encrypted (crypto/secret.h)
  isWindows BOOLEAN NOT NULL DEFAULT FALSE,
  hostKeyFingerprint VARCHAR(100) NULL,     -- pinned on the first successful connection: "SHA256:..."
  seenHostKeyFingerprint VARCHAR(100) NULL, -- HOST_KEY_CHANGED: the other key the host showed
  status VARCHAR(16) NOT NULL CHECK (status IN ('FAILED', 'HOST_KEY_CHANGED', 'OK', 'UNTESTED')),
  lastTestedAt VARCHAR(24) NULL,
  lastError TEXT NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_hosts_name UNIQUE (tenantId, name)
);
CREATE INDEX idx_hosts_page ON hosts (tenantId, createdAt, id);

CREATE TABLE deployment_scripts (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name VARCHAR(200) NOT NULL,
  body TEXT NOT NULL,
  shell VARCHAR(16) NOT NULL CHECK (shell IN ('bash', 'sh')),
  idempotent BOOLEAN NOT NULL DEFAULT FALSE, -- may run again from the start after slipway died mid-run
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_deployment_scripts_name UNIQUE (tenantId, name)
);
CREATE INDEX idx_deployment_scripts_page ON deployment_scripts (tenantId, createdAt, id);

CREATE TABLE deployments (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  hostId CHAR(36) NOT NULL REFERENCES hosts (id), -- no action: a host with deployments is kept for their record (409)
  scriptId CHAR(36) NOT NULL REFERENCES deployment_scripts (id),
  status VARCHAR(16) NOT NULL CHECK (status IN ('CANCELLED', 'FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED')),
  statusReason TEXT NULL,
  exitCode INTEGER NULL,
  droppedLines INTEGER NOT NULL DEFAULT 0,  -- output past the cap: counted, not stored
  jobId CHAR(36) NULL,
  requestedByAccountId VARCHAR(255) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  startedAt VARCHAR(24) NULL,
  finishedAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL
);
CREATE INDEX idx_deployments_page ON deployments (tenantId, createdAt, id);

-- A line of a deployment's output. id is made from seq (stream cursors order by createdAt, id).
CREATE TABLE deployment_logs (
  deploymentId CHAR(36) NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  id CHAR(36) NOT NULL,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  stream VARCHAR(8) NOT NULL CHECK (stream IN ('stderr', 'stdout', 'system')),
  message TEXT NOT NULL,
  createdAt VARCHAR(24) NOT NULL,
  PRIMARY KEY (deploymentId, seq)
);
CREATE INDEX idx_deployment_logs_stream ON deployment_logs (tenantId, deploymentId, createdAt, id);
