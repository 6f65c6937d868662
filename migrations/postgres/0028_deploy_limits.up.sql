-- Deployments, part 2 (issue 17, docs/deployments.md): a host's
-- concurrency limit, a script's timeout, output past the byte cap counted
-- (droppedBytes), scheduled runs (SCHEDULED until scheduledTime),
-- environments with protection (approvals) and freezes, and the approvals.
-- A step that holds one of its host's slots says so (holdsSlot) until it ends.
ALTER TABLE hosts ADD COLUMN maxConcurrent INTEGER NOT NULL DEFAULT 1; -- steps of any deployment running on the host at once
ALTER TABLE deployment_scripts ADD COLUMN timeoutSeconds INTEGER NULL; -- past it the remote process is stopped; NULL: none

CREATE TABLE environments (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name VARCHAR(100) NOT NULL,
  protected BOOLEAN NOT NULL DEFAULT FALSE,    -- a deployment to it waits for requiredApprovals approvals
  requiredApprovals INTEGER NOT NULL DEFAULT 1,
  frozen BOOLEAN NOT NULL DEFAULT FALSE,       -- no deployment to it starts while frozen
  frozenReason TEXT NULL,
  frozenByAccountId uuid NULL REFERENCES accounts (id) ON DELETE SET NULL,
  frozenAt timestamptz NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_environments_name UNIQUE (tenantId, name)
);
CREATE INDEX idx_environments_page ON environments (tenantId, createdAt, id);

ALTER TABLE deployments DROP CONSTRAINT deployments_status_check;
ALTER TABLE deployments ALTER COLUMN status TYPE VARCHAR(20);
ALTER TABLE deployments ADD CONSTRAINT deployments_status_check CHECK (status IN ('AWAITING_APPROVAL', 'CANCELLED', 'FAILED',
  'PARTIALLY_FAILED', 'PENDING', 'RUNNING', 'SCHEDULED', 'SUCCEEDED'));
ALTER TABLE deployments ADD COLUMN droppedBytes INTEGER NOT NULL DEFAULT 0; -- the bytes of the lines past the cap
ALTER TABLE deployments ADD COLUMN scheduledTime timestamptz NULL;         -- schedule "later": not started before
ALTER TABLE deployments ADD COLUMN environmentId uuid NULL REFERENCES environments (id); -- no action: kept (409)
ALTER TABLE deployment_runs ADD COLUMN droppedBytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deployment_runs ADD COLUMN holdsSlot BOOLEAN NOT NULL DEFAULT FALSE; -- one of its host's slots, until it ends
CREATE INDEX idx_deployment_runs_slots ON deployment_runs (hostId, holdsSlot, status);

CREATE TABLE deployment_approvals (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  deploymentId uuid NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  accountId uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  note TEXT NULL,
  createdAt timestamptz NOT NULL,
  CONSTRAINT unique_deployment_approvals_account UNIQUE (deploymentId, accountId)
);
