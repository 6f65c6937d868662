DROP TABLE IF EXISTS deployment_approvals;

-- SQLite cannot change a CHECK in place: deployments is made again, and the two tables that reference it with it.
CREATE TABLE deployments_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  hostId CHAR(36) NOT NULL REFERENCES hosts (id), -- no action: a host with deployments is kept for their record (409)
  scriptId CHAR(36) NOT NULL REFERENCES deployment_scripts (id),
  status VARCHAR(16) NOT NULL CHECK (status IN ('CANCELLED', 'FAILED', 'PARTIALLY_FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED')),
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

INSERT INTO deployments_new (id, tenantId, hostId, scriptId, status, statusReason, exitCode, droppedLines, jobId,
                             requestedByAccountId, startedAt, finishedAt, createdAt, updatedAt)
  SELECT id, tenantId, hostId, scriptId, CASE WHEN status IN ('SCHEDULED', 'AWAITING_APPROVAL') THEN 'CANCELLED' ELSE status END,
         statusReason, exitCode, droppedLines, jobId, requestedByAccountId, startedAt, finishedAt, createdAt, updatedAt
  FROM deployments;
CREATE TABLE deployment_logs_new (
  deploymentId CHAR(36) NOT NULL REFERENCES deployments_new (id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  id CHAR(36) NOT NULL,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  stream VARCHAR(8) NOT NULL CHECK (stream IN ('stderr', 'stdout', 'system')),
  message TEXT NOT NULL,
  createdAt VARCHAR(24) NOT NULL,
  PRIMARY KEY (deploymentId, seq)
);

INSERT INTO deployment_logs_new (deploymentId, seq, id, tenantId, stream, message, createdAt)
  SELECT deploymentId, seq, id, tenantId, stream, message, createdAt FROM deployment_logs;
CREATE TABLE deployment_runs_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  deploymentId CHAR(36) NOT NULL REFERENCES deployments_new (id) ON DELETE CASCADE,
  stepIndex INTEGER NOT NULL,                -- the order the steps run in, from 0: host by host, each host's scripts in order
  hostId CHAR(36) NOT NULL REFERENCES hosts (id),
  scriptId CHAR(36) NOT NULL REFERENCES deployment_scripts (id),
  status VARCHAR(16) NOT NULL CHECK (status IN ('CANCELLED', 'FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED')),
  statusReason TEXT NULL,
  exitCode INTEGER NULL,
  droppedLines INTEGER NOT NULL DEFAULT 0,  -- output past the cap: counted, not stored
  startedAt VARCHAR(24) NULL,
  finishedAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_deployment_runs_step UNIQUE (deploymentId, stepIndex)
);

INSERT INTO deployment_runs_new (id, tenantId, deploymentId, stepIndex, hostId, scriptId, status, statusReason, exitCode,
                                 droppedLines, startedAt, finishedAt, createdAt, updatedAt)
  SELECT id, tenantId, deploymentId, stepIndex, hostId, scriptId, status, statusReason, exitCode, droppedLines, startedAt,
         finishedAt, createdAt, updatedAt FROM deployment_runs;
DROP TABLE deployment_runs;
DROP TABLE deployment_logs;
DROP TABLE deployments;
ALTER TABLE deployments_new RENAME TO deployments;
ALTER TABLE deployment_logs_new RENAME TO deployment_logs;
ALTER TABLE deployment_runs_new RENAME TO deployment_runs;
CREATE INDEX idx_deployments_page ON deployments (tenantId, createdAt, id);
CREATE INDEX idx_deployment_logs_stream ON deployment_logs (tenantId, deploymentId, createdAt, id);

DROP TABLE IF EXISTS environments;
ALTER TABLE deployment_scripts DROP COLUMN timeoutSeconds;
ALTER TABLE hosts DROP COLUMN maxConcurrent;
