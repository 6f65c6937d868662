-- Releases: MySQL/MariaDB translation of migrations/sqlite/0010.
-- A release of a tenant's app, its builds, its append-only timeline, and the
-- tenant's release configuration (docs/releases.md).

CREATE TABLE releases (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  version VARCHAR(64) NOT NULL,
  releaseType ENUM('HOTFIX', 'MAJOR', 'MINOR', 'PATCH') NOT NULL,
  platforms JSON NOT NULL,
  status ENUM('BLOCKED', 'BUILDING', 'CANCELLED', 'FINISHED', 'KICKOFF', 'PAUSED', 'READY', 'REGRESSION') NOT NULL,
  resumeStatus VARCHAR(16) NULL,
  statusReason TEXT NULL,
  scmIntegrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  baseRef VARCHAR(255) NOT NULL,
  baseCommit VARCHAR(64) NULL,
  releaseBranch VARCHAR(255) NOT NULL,
  branchCommit VARCHAR(64) NULL,
  candidateNumber INTEGER NOT NULL DEFAULT 0,
  candidateTag VARCHAR(255) NULL,
  targetDate VARCHAR(10) NULL,
  kickoffAt DATETIME(3) NULL,
  createdByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_releases_version UNIQUE (tenantId, version),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (scmIntegrationId) REFERENCES tenant_scm_integrations (id) ON DELETE SET NULL,
  FOREIGN KEY (createdByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_releases_page ON releases (tenantId, createdAt, id);

CREATE INDEX idx_releases_status ON releases (tenantId, status, createdAt, id);

CREATE TABLE release_builds (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  releaseId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  platform ENUM('ANDROID', 'IOS', 'WEB') NOT NULL,
  pipelineIntegrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  candidateNumber INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,
  status ENUM('CANCELLED', 'FAILED', 'PENDING', 'QUEUED', 'RUNNING', 'SUCCEEDED') NOT NULL,
  runId VARCHAR(255) NULL,
  buildNumber VARCHAR(64) NULL,
  buildUrl VARCHAR(2048) NULL,
  artifactRef VARCHAR(2048) NULL,
  startedAt DATETIME(3) NULL,
  finishedAt DATETIME(3) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_release_builds UNIQUE (releaseId, platform, candidateNumber, attempt),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (releaseId) REFERENCES releases (id) ON DELETE CASCADE,
  FOREIGN KEY (pipelineIntegrationId) REFERENCES tenant_pipeline_integrations (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE release_events (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  releaseId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  kind ENUM('ACTION', 'CALL', 'STATUS') NOT NULL,
  name VARCHAR(64) NOT NULL,
  outcome ENUM('FAILED', 'OK', 'RETRY') NULL,
  fromStatus VARCHAR(16) NULL,
  toStatus VARCHAR(16) NULL,
  message TEXT NULL,
  details JSON NULL,
  actorAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  createdAt DATETIME(3) NOT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE RESTRICT,
  FOREIGN KEY (releaseId) REFERENCES releases (id) ON DELETE RESTRICT,
  FOREIGN KEY (actorAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_release_events_release ON release_events (releaseId, createdAt, id);

-- The RAISE(ABORT) triggers of SQLite.
CREATE TRIGGER release_events_no_update BEFORE UPDATE ON release_events FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'release_events is append-only';

CREATE TRIGGER release_events_no_delete BEFORE DELETE ON release_events FOR EACH ROW
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'release_events is append-only';

CREATE TABLE release_configs (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  scmIntegrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  baseBranch VARCHAR(255) NULL,
  branchTemplate VARCHAR(255) NOT NULL DEFAULT 'release/{version}',
  candidateTagTemplate VARCHAR(255) NOT NULL DEFAULT 'v{version}-rc.{n}',
  finalTagTemplate VARCHAR(255) NOT NULL DEFAULT 'v{version}',
  versionScheme ENUM('CALVER', 'SEMVER') NOT NULL DEFAULT 'SEMVER',
  platformPipelines JSON NULL,
  approvalRoles JSON NULL,
  approvalCount INTEGER NOT NULL DEFAULT 1,
  updatedByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_release_configs_tenant UNIQUE (tenantId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (scmIntegrationId) REFERENCES tenant_scm_integrations (id) ON DELETE SET NULL,
  FOREIGN KEY (updatedByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
