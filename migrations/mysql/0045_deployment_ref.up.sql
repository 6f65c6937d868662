-- What a deployment deploys: MySQL/MariaDB translation of migrations/sqlite/0045.
ALTER TABLE deployments ADD COLUMN repositoryId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL;
ALTER TABLE deployments ADD COLUMN ref VARCHAR(255) NULL;
CREATE INDEX idx_deployments_repository ON deployments (repositoryId);
ALTER TABLE deployments ADD CONSTRAINT fk_deployments_repository FOREIGN KEY (repositoryId) REFERENCES repositories (id) ON DELETE SET NULL;
