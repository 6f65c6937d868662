-- What a deployment deploys (issue 17, docs/deployments.md "Repository and ref"):
-- a synced repository of the tenant (NULL: none named; set to NULL when the
-- repository is removed by a sync, the ref stays) and the ref (a branch, tag
-- or commit; the repository's default branch when only the repository was
-- named). Its scripts see them as SLIPWAY_REF and SLIPWAY_REPOSITORY, and its
-- CI/CD jobs are triggered on the ref.
ALTER TABLE deployments ADD COLUMN repositoryId CHAR(36) NULL REFERENCES repositories (id) ON DELETE SET NULL;
ALTER TABLE deployments ADD COLUMN ref VARCHAR(255) NULL;
CREATE INDEX idx_deployments_repository ON deployments (repositoryId);
