-- Deployments of scripts x hosts (issue 17, docs/deployments.md): a
-- deployment is now a list of steps, one script on one host each, run in
-- order. Document 003 calls a step's row deployment_scripts; that name is
-- this schema's script library (0015), so a step is a deployment_runs row.
-- A deployment's status is aggregated from its steps'
-- (src/deploy/lifecycle.c) and may now be PARTIALLY_FAILED; its hostId and
-- scriptId stay those of its first step (the API's one-host form).
ALTER TABLE deployments MODIFY status ENUM('CANCELLED', 'FAILED', 'PARTIALLY_FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED') NOT NULL;

CREATE TABLE deployment_runs (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  deploymentId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  stepIndex INTEGER NOT NULL,                -- the order the steps run in, from 0: host by host, each host's scripts in order
  hostId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  scriptId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  status ENUM('CANCELLED', 'FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED') NOT NULL,
  statusReason TEXT NULL,
  exitCode INTEGER NULL,
  droppedLines INTEGER NOT NULL DEFAULT 0,  -- output past the cap: counted, not stored
  startedAt DATETIME(3) NULL,
  finishedAt DATETIME(3) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_deployment_runs_step UNIQUE (deploymentId, stepIndex),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (deploymentId) REFERENCES deployments (id) ON DELETE CASCADE,
  FOREIGN KEY (hostId) REFERENCES hosts (id) ON DELETE NO ACTION,
  FOREIGN KEY (scriptId) REFERENCES deployment_scripts (id) ON DELETE NO ACTION
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every deployment made before 0021 is its one step.
INSERT INTO deployment_runs (id, tenantId, deploymentId, stepIndex, hostId, scriptId, status, statusReason, exitCode, droppedLines,
                             startedAt, finishedAt, createdAt, updatedAt)
  SELECT id, tenantId, id, 0, hostId, scriptId, status, statusReason, exitCode, droppedLines, startedAt, finishedAt, createdAt,
         updatedAt FROM deployments;
