-- Store submissions (issue 15, docs/stores.md): a release's build submitted
-- to a store target (Google Play, App Store Connect, Firebase) and its
-- staged rollout. The status follows src/stores/lifecycle.c, the one
-- transition table of the three stores; every step is on the release's
-- timeline (release_events), so there is no timeline of its own.
CREATE TABLE store_submissions (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId CHAR(36) NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  platform VARCHAR(16) NOT NULL CHECK (platform IN ('ANDROID', 'IOS', 'WEB')),
  targetIntegrationId VARCHAR(255) NULL REFERENCES tenant_target_integrations (id) ON DELETE SET NULL,
  targetType VARCHAR(16) NOT NULL CHECK (targetType IN ('APP_STORE', 'FIREBASE', 'PLAY_STORE')),
  track VARCHAR(64) NOT NULL,               -- Play: internal, alpha, beta, production or a custom track; App Store: APP_STORE
  status VARCHAR(16) NOT NULL
    CHECK (status IN ('APPROVED', 'FAILED', 'HALTED', 'IN_REVIEW', 'PENDING', 'PROCESSING', 'REJECTED', 'RELEASED',
                      'ROLLING_OUT', 'SUBMITTED')),
  pendingAction VARCHAR(16) NULL,           -- the action under way (submit, rollout, halt, resume, complete): one at a time
  actionCount INTEGER NOT NULL DEFAULT 0,   -- actions asked so far: each one's job is deduplicated by it
  buildNumber VARCHAR(64) NOT NULL,         -- Play: the version code; App Store: CFBundleVersion
  rolloutMillionths INTEGER NOT NULL DEFAULT 0, -- the staged rollout's share of users, in millionths (Play userFraction)
  inAppUpdatePriority INTEGER NULL,         -- Play: 0..5
  releaseNotes JSON NULL,                   -- {"en-US": text, ...}
  storeVersionId VARCHAR(255) NULL,         -- App Store: the appStoreVersion
  storeSubmissionId VARCHAR(255) NULL,      -- App Store: the reviewSubmission
  editId VARCHAR(255) NULL,                 -- Play: the last edit committed
  reviewState VARCHAR(64) NULL,             -- the store's own word for the review (WAITING_FOR_REVIEW, ...)
  statusReason TEXT NULL,                   -- REJECTED, FAILED, or an action refused: why, for a person
  createdByAccountId VARCHAR(255) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  submittedAt VARCHAR(24) NULL,
  releasedAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL
);
CREATE INDEX idx_store_submissions_release ON store_submissions (tenantId, releaseId, createdAt, id);
