-- CI/CD jobs: PostgreSQL translation of migrations/sqlite/0034 (issue 17, document 003's cicd_jobs and deployment_cicd_mappings;
-- docs/deployments.md "CI/CD jobs"): the jobs a pipeline integration's
-- provider can run, discovered by a durable job (ci_list_jobs), with their
-- parameter definitions as JSON ([{name, type, default, choices,
-- description}]); one row a provider's job (integrationId, externalId).
-- A job the provider no longer lists is marked (removedAt), not deleted:
-- the deployments that ran it keep their record; a later discovery that
-- sees it again clears the mark.
-- The discovery state, per pipeline integration (one discovery reads its whole listing), as the
-- repository sync's is per SCM integration (0020).
ALTER TABLE tenant_pipeline_integrations ADD COLUMN discoveryStatus VARCHAR(16) NOT NULL DEFAULT 'NEVER'
  CHECK (discoveryStatus IN ('NEVER', 'DISCOVERING', 'DISCOVERED', 'FAILED'));
ALTER TABLE tenant_pipeline_integrations ADD COLUMN lastDiscoveredAt timestamptz NULL;
ALTER TABLE tenant_pipeline_integrations ADD COLUMN lastDiscoveryError VARCHAR(1000) NULL;

CREATE TABLE cicd_jobs (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  integrationId uuid NOT NULL REFERENCES tenant_pipeline_integrations (id) ON DELETE CASCADE,
  externalId VARCHAR(512) NOT NULL,         -- the provider's id: Jenkins' job path, a workflow's file, ...
  name VARCHAR(255) NOT NULL,
  path VARCHAR(512) NULL,                   -- where it is in the provider's tree (Jenkins folders)
  url VARCHAR(2048) NULL,
  description VARCHAR(2000) NULL,
  parameters TEXT NOT NULL,                 -- JSON array of parameter definitions
  discoveredAt timestamptz NOT NULL,        -- the discovery that last saw it
  removedAt timestamptz NULL,               -- set when a discovery no longer saw it
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_cicd_jobs_provider UNIQUE (integrationId, externalId)
);
CREATE INDEX idx_cicd_jobs_tenant ON cicd_jobs (tenantId, integrationId, name);

-- The jobs a deployment triggers, in order, and each one's run.
CREATE TABLE deployment_cicd_mappings (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  deploymentId uuid NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  cicdJobId uuid NOT NULL REFERENCES cicd_jobs (id) ON DELETE CASCADE, -- gone with its integration (the log keeps its lines)
  position INTEGER NOT NULL,
  parameters TEXT NOT NULL,                 -- JSON object: name -> value
  status VARCHAR(16) NOT NULL DEFAULT 'PENDING'
    CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
  buildNumber VARCHAR(64) NULL,
  buildUrl VARCHAR(2048) NULL,
  runId VARCHAR(256) NULL,                  -- the provider's id of the run
  startedAt timestamptz NULL,
  finishedAt timestamptz NULL,
  error VARCHAR(1000) NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_deployment_cicd_position UNIQUE (deploymentId, position)
);
CREATE INDEX idx_deployment_cicd_tenant ON deployment_cicd_mappings (tenantId, deploymentId);
CREATE INDEX idx_deployment_cicd_job ON deployment_cicd_mappings (cicdJobId);
