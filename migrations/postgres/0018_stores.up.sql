-- Store submissions: PostgreSQL (and CockroachDB) translation of migrations/sqlite/0018.
-- A release's build submitted to a store target and its staged rollout
-- (issue 15, docs/stores.md). The status follows src/stores/lifecycle.c.
CREATE TABLE store_submissions (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  platform VARCHAR(16) NOT NULL CHECK (platform IN ('ANDROID', 'IOS', 'WEB')),
  targetIntegrationId uuid NULL REFERENCES tenant_target_integrations (id) ON DELETE SET NULL,
  targetType VARCHAR(16) NOT NULL CHECK (targetType IN ('APP_STORE', 'FIREBASE', 'PLAY_STORE')),
  track VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL
    CHECK (status IN ('APPROVED', 'FAILED', 'HALTED', 'IN_REVIEW', 'PENDING', 'PROCESSING', 'REJECTED', 'RELEASED',
                      'ROLLING_OUT', 'SUBMITTED')),
  pendingAction VARCHAR(16) NULL,
  actionCount INTEGER NOT NULL DEFAULT 0,
  buildNumber VARCHAR(64) NOT NULL,
  rolloutMillionths INTEGER NOT NULL DEFAULT 0,
  inAppUpdatePriority INTEGER NULL,
  releaseNotes jsonb NULL,
  storeVersionId VARCHAR(255) NULL,
  storeSubmissionId VARCHAR(255) NULL,
  editId VARCHAR(255) NULL,
  reviewState VARCHAR(64) NULL,
  statusReason TEXT NULL,
  createdByAccountId uuid NULL REFERENCES accounts (id) ON DELETE SET NULL,
  submittedAt timestamptz NULL,
  releasedAt timestamptz NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL
);

CREATE INDEX idx_store_submissions_release ON store_submissions (tenantId, releaseId, createdAt, id);
