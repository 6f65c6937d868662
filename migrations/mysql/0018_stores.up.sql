-- Store submissions: MySQL/MariaDB translation of migrations/sqlite/0018.
-- A release's build submitted to a store target and its staged rollout
-- (issue 15, docs/stores.md). The status follows src/stores/lifecycle.c.
CREATE TABLE store_submissions (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  releaseId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  platform ENUM('ANDROID', 'IOS', 'WEB') NOT NULL,
  targetIntegrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  targetType ENUM('APP_STORE', 'FIREBASE', 'PLAY_STORE') NOT NULL,
  track VARCHAR(64) NOT NULL,
  status ENUM('APPROVED', 'FAILED', 'HALTED', 'IN_REVIEW', 'PENDING', 'PROCESSING', 'REJECTED', 'RELEASED',
              'ROLLING_OUT', 'SUBMITTED') NOT NULL,
  pendingAction VARCHAR(16) NULL,
  actionCount INTEGER NOT NULL DEFAULT 0,
  buildNumber VARCHAR(64) NOT NULL,
  rolloutMillionths INTEGER NOT NULL DEFAULT 0,
  inAppUpdatePriority INTEGER NULL,
  releaseNotes JSON NULL,
  storeVersionId VARCHAR(255) NULL,
  storeSubmissionId VARCHAR(255) NULL,
  editId VARCHAR(255) NULL,
  reviewState VARCHAR(64) NULL,
  statusReason TEXT NULL,
  createdByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  submittedAt DATETIME(3) NULL,
  releasedAt DATETIME(3) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (releaseId) REFERENCES releases (id) ON DELETE CASCADE,
  FOREIGN KEY (targetIntegrationId) REFERENCES tenant_target_integrations (id) ON DELETE SET NULL,
  FOREIGN KEY (createdByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_store_submissions_release ON store_submissions (tenantId, releaseId, createdAt, id);
