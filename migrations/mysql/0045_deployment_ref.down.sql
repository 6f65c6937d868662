ALTER TABLE deployments DROP FOREIGN KEY fk_deployments_repository;
DROP INDEX idx_deployments_repository ON deployments;
ALTER TABLE deployments DROP COLUMN ref;
ALTER TABLE deployments DROP COLUMN repositoryId;
