DROP TABLE IF EXISTS deployment_runs;
ALTER TABLE deployments DROP CONSTRAINT deployments_status_check;
UPDATE deployments SET status = 'FAILED' WHERE status = 'PARTIALLY_FAILED';
ALTER TABLE deployments ADD CONSTRAINT deployments_status_check CHECK (status IN ('CANCELLED', 'FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED'));
