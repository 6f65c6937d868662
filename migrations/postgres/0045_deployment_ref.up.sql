-- What a deployment deploys: PostgreSQL (and CockroachDB) translation of migrations/sqlite/0045.
ALTER TABLE deployments ADD COLUMN repositoryId uuid NULL REFERENCES repositories (id) ON DELETE SET NULL;
ALTER TABLE deployments ADD COLUMN ref VARCHAR(255) NULL;
CREATE INDEX idx_deployments_repository ON deployments (repositoryId);
