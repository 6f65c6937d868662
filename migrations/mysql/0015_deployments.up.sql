-- Deployments: MySQL/MariaDB translation of migrations/sqlite/0015 (issue 17, docs/deployments.md).
CREATE TABLE hosts (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  name VARCHAR(200) NOT NULL,
  type ENUM('docker', 'ssh') NOT NULL,
  address VARCHAR(255) NOT NULL,
  port INTEGER NOT NULL,
  username VARCHAR(255) NOT NULL,
  authMethod ENUM('key', 'password') NOT NULL,
  secret TEXT NOT NULL,
  isWindows BOOLEAN NOT NULL DEFAULT FALSE,
  hostKeyFingerprint VARCHAR(100) NULL,
  seenHostKeyFingerprint VARCHAR(100) NULL,
  status ENUM('FAILED', 'HOST_KEY_CHANGED', 'OK', 'UNTESTED') NOT NULL,
  lastTestedAt DATETIME(3) NULL,
  lastError TEXT NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_hosts_name UNIQUE (tenantId, name),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_hosts_page ON hosts (tenantId, createdAt, id);

CREATE TABLE deployment_scripts (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  name VARCHAR(200) NOT NULL,
  body MEDIUMTEXT NOT NULL,
  shell ENUM('bash', 'sh') NOT NULL,
  idempotent BOOLEAN NOT NULL DEFAULT FALSE,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_deployment_scripts_name UNIQUE (tenantId, name),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_deployment_scripts_page ON deployment_scripts (tenantId, createdAt, id);

CREATE TABLE deployments (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  hostId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  scriptId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  status ENUM('CANCELLED', 'FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED') NOT NULL,
  statusReason TEXT NULL,
  exitCode INTEGER NULL,
  droppedLines INTEGER NOT NULL DEFAULT 0,
  jobId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  requestedByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  startedAt DATETIME(3) NULL,
  finishedAt DATETIME(3) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (hostId) REFERENCES hosts (id) ON DELETE NO ACTION,
  FOREIGN KEY (scriptId) REFERENCES deployment_scripts (id) ON DELETE NO ACTION,
  FOREIGN KEY (requestedByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_deployments_page ON deployments (tenantId, createdAt, id);

CREATE TABLE deployment_logs (
  deploymentId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  seq INTEGER NOT NULL,
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  stream ENUM('stderr', 'stdout', 'system') NOT NULL,
  message TEXT NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  PRIMARY KEY (deploymentId, seq),
  FOREIGN KEY (deploymentId) REFERENCES deployments (id) ON DELETE CASCADE,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_deployment_logs_stream ON deployment_logs (tenantId, deploymentId, createdAt, id);
