DROP TABLE IF EXISTS deployment_approvals;
-- The hostId foreign key's own index, which MySQL dropped when the slots index (hostId first) could serve it.
CREATE INDEX hostId ON deployment_runs (hostId);
DROP INDEX idx_deployment_runs_slots ON deployment_runs;
ALTER TABLE deployment_runs DROP COLUMN holdsSlot;
ALTER TABLE deployment_runs DROP COLUMN droppedBytes;
ALTER TABLE deployments DROP FOREIGN KEY fk_deployments_environment;
ALTER TABLE deployments DROP COLUMN environmentId;
ALTER TABLE deployments DROP COLUMN scheduledTime;
ALTER TABLE deployments DROP COLUMN droppedBytes;
UPDATE deployments SET status = 'CANCELLED' WHERE status IN ('SCHEDULED', 'AWAITING_APPROVAL');
ALTER TABLE deployments MODIFY status ENUM('CANCELLED', 'FAILED', 'PARTIALLY_FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED') NOT NULL;
DROP TABLE IF EXISTS environments;
ALTER TABLE deployment_scripts DROP COLUMN timeoutSeconds;
ALTER TABLE hosts DROP COLUMN maxConcurrent;
