-- Deployments, part 2 (issue 17, docs/deployments.md): a host's
-- concurrency limit, a script's timeout, output past the byte cap counted
-- (droppedBytes), scheduled runs (SCHEDULED until scheduledTime),
-- environments with protection (approvals) and freezes, and the approvals.
-- A step that holds one of its host's slots says so (holdsSlot) until it
-- ends. SQLite cannot change a CHECK in place: deployments is made again
-- (its status gains SCHEDULED and AWAITING_APPROVAL), and the two tables
-- that reference it with it (dropping deployments would delete their rows).
ALTER TABLE hosts ADD COLUMN maxConcurrent INTEGER NOT NULL DEFAULT 1; -- steps of any deployment running on the host at once
ALTER TABLE deployment_scripts ADD COLUMN timeoutSeconds INTEGER NULL; -- past it the remote process is stopped; NULL: none

CREATE TABLE environments (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name VARCHAR(100) NOT NULL,
  protected BOOLEAN NOT NULL DEFAULT FALSE,    -- a deployment to it waits for requiredApprovals approvals
  requiredApprovals INTEGER NOT NULL DEFAULT 1,
  frozen BOOLEAN NOT NULL DEFAULT FALSE,       -- no deployment to it starts while frozen
  frozenReason TEXT NULL,
  frozenByAccountId VARCHAR(255) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  frozenAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_environments_name UNIQUE (tenantId, name)
);
CREATE INDEX idx_environments_page ON environments (tenantId, createdAt, id);

CREATE TABLE deployments_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  hostId CHAR(36) NOT NULL REFERENCES hosts (id), -- no action: a host with deployments is kept for their record (409)
  scriptId CHAR(36) NOT NULL REFERENCES deployment_scripts (id),
  status VARCHAR(20) NOT NULL CHECK (status IN ('AWAITING_APPROVAL', 'CANCELLED', 'FAILED', 'PARTIALLY_FAILED', 'PENDING', 'RUNNING',
                                                'SCHEDULED', 'SUCCEEDED')),
  statusReason TEXT NULL,
  exitCode INTEGER NULL,
  droppedLines INTEGER NOT NULL DEFAULT 0,  -- output past the cap: counted, not stored
  jobId CHAR(36) NULL,
  requestedByAccountId VARCHAR(255) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  startedAt VARCHAR(24) NULL,
  finishedAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  droppedBytes INTEGER NOT NULL DEFAULT 0,  -- the bytes of those lines
  scheduledTime VARCHAR(24) NULL,           -- schedule "later": not started before
  environmentId CHAR(36) NULL REFERENCES environments (id) -- no action: an environment with deployments is kept (409)
);

INSERT INTO deployments_new (id, tenantId, hostId, scriptId, status, statusReason, exitCode, droppedLines, jobId,
                             requestedByAccountId, startedAt, finishedAt, createdAt, updatedAt)
  SELECT id, tenantId, hostId, scriptId, status, statusReason, exitCode, droppedLines, jobId, requestedByAccountId, startedAt,
         finishedAt, createdAt, updatedAt FROM deployments;
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
  droppedBytes INTEGER NOT NULL DEFAULT 0,
  holdsSlot BOOLEAN NOT NULL DEFAULT FALSE, -- one of its host's maxConcurrent slots is this step's while it has not ended
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
CREATE INDEX idx_deployment_runs_slots ON deployment_runs (hostId, holdsSlot, status);

CREATE TABLE deployment_approvals (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  deploymentId CHAR(36) NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  accountId VARCHAR(255) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  note TEXT NULL,
  createdAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_deployment_approvals_account UNIQUE (deploymentId, accountId)
);
