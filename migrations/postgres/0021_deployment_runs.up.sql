-- Deployments of scripts x hosts (issue 17, docs/deployments.md): a
-- deployment is now a list of steps, one script on one host each, run in
-- order. Document 003 calls a step's row deployment_scripts; that name is
-- this schema's script library (0015), so a step is a deployment_runs row.
-- A deployment's status is aggregated from its steps'
-- (src/deploy/lifecycle.c) and may now be PARTIALLY_FAILED; its hostId and
-- scriptId stay those of its first step (the API's one-host form).
ALTER TABLE deployments DROP CONSTRAINT deployments_status_check;
ALTER TABLE deployments ADD CONSTRAINT deployments_status_check CHECK (status IN ('CANCELLED', 'FAILED', 'PARTIALLY_FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED'));

CREATE TABLE deployment_runs (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  deploymentId uuid NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  stepIndex INTEGER NOT NULL,                -- the order the steps run in, from 0: host by host, each host's scripts in order
  hostId uuid NOT NULL REFERENCES hosts (id),
  scriptId uuid NOT NULL REFERENCES deployment_scripts (id),
  status VARCHAR(16) NOT NULL CHECK (status IN ('CANCELLED', 'FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED')),
  statusReason TEXT NULL,
  exitCode INTEGER NULL,
  droppedLines INTEGER NOT NULL DEFAULT 0,  -- output past the cap: counted, not stored
  startedAt timestamptz NULL,
  finishedAt timestamptz NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_deployment_runs_step UNIQUE (deploymentId, stepIndex)
);

-- Every deployment made before 0021 is its one step.
INSERT INTO deployment_runs (id, tenantId, deploymentId, stepIndex, hostId, scriptId, status, statusReason, exitCode, droppedLines,
                             startedAt, finishedAt, createdAt, updatedAt)
  SELECT id, tenantId, id, 0, hostId, scriptId, status, statusReason, exitCode, droppedLines, startedAt, finishedAt, createdAt,
         updatedAt FROM deployments;
