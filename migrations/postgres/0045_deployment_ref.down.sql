DROP INDEX IF EXISTS idx_deployments_repository;
ALTER TABLE deployments DROP COLUMN ref;
ALTER TABLE deployments DROP COLUMN repositoryId;
