-- Repositories: MySQL/MariaDB translation of migrations/sqlite/0020 (issue 17, docs/deployments.md).
ALTER TABLE tenant_scm_integrations ADD COLUMN syncStatus ENUM('FAILED', 'NEVER', 'SYNCED', 'SYNCING') NOT NULL DEFAULT 'NEVER';
ALTER TABLE tenant_scm_integrations ADD COLUMN lastSyncError VARCHAR(1000) NULL;

CREATE TABLE repositories (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  externalId VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  fullName VARCHAR(512) NOT NULL,
  defaultBranch VARCHAR(255) NULL,
  private BOOLEAN NOT NULL DEFAULT FALSE,
  webUrl VARCHAR(2048) NULL,
  syncedAt DATETIME(3) NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_repositories_provider UNIQUE (integrationId, externalId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (integrationId) REFERENCES tenant_scm_integrations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_repositories_tenant ON repositories (tenantId, fullName(191), id);

CREATE TABLE profile_repository_pins (
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  accountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  repositoryId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  PRIMARY KEY (accountId, repositoryId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (accountId) REFERENCES accounts (id) ON DELETE CASCADE,
  FOREIGN KEY (repositoryId) REFERENCES repositories (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_repository_pins_repository ON profile_repository_pins (repositoryId);
CREATE INDEX idx_repository_pins_tenant ON profile_repository_pins (tenantId, accountId);
