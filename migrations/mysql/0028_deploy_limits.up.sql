-- Deployments, part 2 (issue 17, docs/deployments.md): a host's
-- concurrency limit, a script's timeout, output past the byte cap counted
-- (droppedBytes), scheduled runs (SCHEDULED until scheduledTime),
-- environments with protection (approvals) and freezes, and the approvals.
-- A step that holds one of its host's slots says so (holdsSlot) until it ends.
ALTER TABLE hosts ADD COLUMN maxConcurrent INTEGER NOT NULL DEFAULT 1;
ALTER TABLE deployment_scripts ADD COLUMN timeoutSeconds INTEGER NULL;

CREATE TABLE environments (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  name VARCHAR(100) NOT NULL,
  protected BOOLEAN NOT NULL DEFAULT FALSE,
  requiredApprovals INTEGER NOT NULL DEFAULT 1,
  frozen BOOLEAN NOT NULL DEFAULT FALSE,
  frozenReason TEXT NULL,
  frozenByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  frozenAt DATETIME(3) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_environments_name UNIQUE (tenantId, name),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (frozenByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_environments_page ON environments (tenantId, createdAt, id);

ALTER TABLE deployments MODIFY status ENUM('AWAITING_APPROVAL', 'CANCELLED', 'FAILED', 'PARTIALLY_FAILED', 'PENDING', 'RUNNING',
  'SCHEDULED', 'SUCCEEDED') NOT NULL;
ALTER TABLE deployments ADD COLUMN droppedBytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deployments ADD COLUMN scheduledTime DATETIME(3) NULL;
ALTER TABLE deployments ADD COLUMN environmentId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL;
ALTER TABLE deployments ADD CONSTRAINT fk_deployments_environment FOREIGN KEY (environmentId) REFERENCES environments (id) ON DELETE NO ACTION;
ALTER TABLE deployment_runs ADD COLUMN droppedBytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deployment_runs ADD COLUMN holdsSlot BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX idx_deployment_runs_slots ON deployment_runs (hostId, holdsSlot, status);

CREATE TABLE deployment_approvals (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  deploymentId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  accountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  note TEXT NULL,
  createdAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_deployment_approvals_account UNIQUE (deploymentId, accountId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (deploymentId) REFERENCES deployments (id) ON DELETE CASCADE,
  FOREIGN KEY (accountId) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
