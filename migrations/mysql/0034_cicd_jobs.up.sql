-- CI/CD jobs: MySQL/MariaDB translation of migrations/sqlite/0034 (issue 17, docs/deployments.md "CI/CD jobs").
ALTER TABLE tenant_pipeline_integrations ADD COLUMN discoveryStatus ENUM('DISCOVERED', 'DISCOVERING', 'FAILED', 'NEVER') NOT NULL DEFAULT 'NEVER';
ALTER TABLE tenant_pipeline_integrations ADD COLUMN lastDiscoveredAt DATETIME(3) NULL;
ALTER TABLE tenant_pipeline_integrations ADD COLUMN lastDiscoveryError VARCHAR(1000) NULL;

CREATE TABLE cicd_jobs (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  externalId VARCHAR(512) NOT NULL,
  name VARCHAR(255) NOT NULL,
  path VARCHAR(512) NULL,
  url VARCHAR(2048) NULL,
  description VARCHAR(2000) NULL,
  parameters MEDIUMTEXT NOT NULL,
  discoveredAt DATETIME(3) NOT NULL,
  removedAt DATETIME(3) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_cicd_jobs_provider UNIQUE (integrationId, externalId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (integrationId) REFERENCES tenant_pipeline_integrations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_cicd_jobs_tenant ON cicd_jobs (tenantId, integrationId, name(191));

CREATE TABLE deployment_cicd_mappings (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  deploymentId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  cicdJobId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  position INTEGER NOT NULL,
  parameters MEDIUMTEXT NOT NULL,
  status ENUM('CANCELLED', 'FAILED', 'PENDING', 'RUNNING', 'SUCCEEDED') NOT NULL DEFAULT 'PENDING',
  buildNumber VARCHAR(64) NULL,
  buildUrl VARCHAR(2048) NULL,
  runId VARCHAR(256) NULL,
  startedAt DATETIME(3) NULL,
  finishedAt DATETIME(3) NULL,
  error VARCHAR(1000) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_deployment_cicd_position UNIQUE (deploymentId, position),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (deploymentId) REFERENCES deployments (id) ON DELETE CASCADE,
  FOREIGN KEY (cicdJobId) REFERENCES cicd_jobs (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_deployment_cicd_tenant ON deployment_cicd_mappings (tenantId, deploymentId);
CREATE INDEX idx_deployment_cicd_job ON deployment_cicd_mappings (cicdJobId);
