-- TestRail runs and fix versions at kickoff (MySQL/MariaDB translation of migrations/sqlite/0037; docs/notifications.md).
CREATE TABLE release_test_runs (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  releaseId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  candidateNumber INTEGER NOT NULL,
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  provider VARCHAR(32) NOT NULL,
  runId VARCHAR(64) NOT NULL,
  name VARCHAR(255) NOT NULL,
  url VARCHAR(2048) NOT NULL,
  passed INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  blocked INTEGER NOT NULL DEFAULT 0,
  retest INTEGER NOT NULL DEFAULT 0,
  untested INTEGER NOT NULL DEFAULT 0,
  other INTEGER NOT NULL DEFAULT 0,
  status VARCHAR(16) NOT NULL,
  lastError VARCHAR(1000) NULL,
  lastReadAt DATETIME(3) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_release_test_runs UNIQUE (releaseId, integrationId, candidateNumber),
  KEY release_test_runs_tenant (tenantId, releaseId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (releaseId) REFERENCES releases (id) ON DELETE CASCADE,
  FOREIGN KEY (integrationId) REFERENCES tenant_test_management_integrations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE tenant_test_management_integrations ADD COLUMN testRailSuiteId INT NULL;

ALTER TABLE release_configs ADD COLUMN minTestPassRate INTEGER NULL;

CREATE TABLE release_ticket_links (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  releaseId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  issueKey VARCHAR(255) NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_release_ticket_links UNIQUE (releaseId, integrationId, issueKey),
  KEY release_ticket_links_tenant (tenantId, releaseId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (releaseId) REFERENCES releases (id) ON DELETE CASCADE,
  FOREIGN KEY (integrationId) REFERENCES tenant_ticket_integrations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
