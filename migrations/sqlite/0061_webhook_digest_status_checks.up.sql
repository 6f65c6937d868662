-- Issue 14's build webhooks (docs/performance.md, "The build webhook: read in one pass, copies known by their bytes").
-- 1. A copy of a delivery is known before its body is read: by the delivery id where the provider sends it in a header
--    (GitHub, GitLab, Jenkins), else by bodyDigest, the HMAC signature the check found valid (the same signed bytes give
--    the same one; CircleCI and App Store Connect name a delivery inside the body only). The provider's id stays what
--    makes a delivery once (unique_webhook_deliveries); bodyDigest only spares a copy its read. Only the rows that have
--    one are indexed.
ALTER TABLE webhook_deliveries ADD COLUMN bodyDigest CHAR(64) NULL;
CREATE INDEX idx_webhook_deliveries_digest ON webhook_deliveries (integrationId, bodyDigest) WHERE bodyDigest IS NOT NULL;
-- 2. The status CHECKs of releases, release_builds and jobs written as comparisons: SQLite (3.40) codes
--    "x IN (three or more constants)" in a CHECK as a temporary b-tree built at every INSERT, and at every UPDATE of
--    that column: a completed build's delivery changes the status of a build, a release and a job (and the job's
--    parent), one b-tree each (0058 did the same for release_events). The rules are the same.
--    releases is the parent of eight tables: remade as 0058 remakes a table, the DROP TABLE of the old one would
--    delete (ON DELETE CASCADE) or refuse (RESTRICT) their rows, since foreign keys are on and cannot be switched
--    off inside the migration's transaction. Its CHECKs are rewritten in place, the way SQLite documents for a CHECK
--    (https://sqlite.org/lang_altertable.html, "otherwise"): the stored table's text only, no row changes; the DDL
--    after it moves the schema's version, so every connection reads the new text.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (releaseType IN (''HOTFIX'', ''MAJOR'', ''MINOR'', ''PATCH''))', 'CHECK (releaseType = ''HOTFIX'' OR releaseType = ''MAJOR'' OR releaseType = ''MINOR'' OR releaseType = ''PATCH'')') WHERE type = 'table' AND name = 'releases';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (status IN (''BLOCKED'', ''BUILDING'', ''CANCELLED'', ''FINISHED'', ''KICKOFF'', ''PAUSED'', ''READY'', ''REGRESSION'', ''RELEASED''))', 'CHECK (status = ''BLOCKED'' OR status = ''BUILDING'' OR status = ''CANCELLED'' OR status = ''FINISHED'' OR status = ''KICKOFF'' OR status = ''PAUSED'' OR status = ''READY'' OR status = ''REGRESSION'' OR status = ''RELEASED'')') WHERE type = 'table' AND name = 'releases';
PRAGMA writable_schema = OFF;
--    release_builds (no table refers to it) and jobs (only to itself: jobs_new refers to itself, so the old table's
--    DROP touches none of its rows) are made again, with their indexes.
CREATE TABLE release_builds_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId CHAR(36) NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  platform VARCHAR(16) NOT NULL CHECK (platform = 'ANDROID' OR platform = 'IOS' OR platform = 'WEB'),
  pipelineIntegrationId VARCHAR(255) NULL REFERENCES tenant_pipeline_integrations (id) ON DELETE SET NULL,
  candidateNumber INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,       -- a failed build retried is a new row, attempt + 1
  status VARCHAR(16) NOT NULL
    CHECK (status = 'CANCELLED' OR status = 'FAILED' OR status = 'PENDING' OR status = 'QUEUED' OR status = 'RUNNING' OR status = 'SUCCEEDED'),
  runId VARCHAR(255) NULL,                  -- the CI provider's id of the run
  buildNumber VARCHAR(64) NULL,
  buildUrl VARCHAR(2048) NULL,
  artifactRef VARCHAR(2048) NULL,
  startedAt VARCHAR(24) NULL,
  finishedAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_release_builds UNIQUE (releaseId, platform, candidateNumber, attempt)
);
INSERT INTO release_builds_new (id, tenantId, releaseId, platform, pipelineIntegrationId, candidateNumber, attempt, status, runId, buildNumber, buildUrl, artifactRef, startedAt, finishedAt, createdAt, updatedAt)
SELECT id, tenantId, releaseId, platform, pipelineIntegrationId, candidateNumber, attempt, status, runId, buildNumber, buildUrl, artifactRef, startedAt, finishedAt, createdAt, updatedAt FROM release_builds;
DROP TABLE release_builds;
ALTER TABLE release_builds_new RENAME TO release_builds;
CREATE INDEX idx_release_builds_run ON release_builds (runId, pipelineIntegrationId);
CREATE TABLE jobs_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  kind VARCHAR(64) NOT NULL,
  dedupeKey VARCHAR(255) NULL,
  tenantId CHAR(36) NULL,
  payload JSON NULL,
  state VARCHAR(16) NOT NULL CHECK (state = 'CANCELLED' OR state = 'DONE' OR state = 'FAILED' OR state = 'QUEUED' OR state = 'RUNNING' OR state = 'WAITING'),
  runAt VARCHAR(24) NOT NULL,
  everySeconds INTEGER NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  maxAttempts INTEGER NOT NULL DEFAULT 5,
  leaseOwner VARCHAR(255) NULL,
  leaseExpiresAt VARCHAR(24) NULL,
  lastError TEXT NULL,
  lastFinishedAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  step INTEGER NOT NULL DEFAULT 0,
  data JSON NULL,
  secrets TEXT NULL,
  eventKey VARCHAR(255) NULL,
  event JSON NULL,
  output JSON NULL,
  parentId CHAR(36) NULL REFERENCES jobs_new (id) ON DELETE CASCADE,
  pending INTEGER NOT NULL DEFAULT 0,
  cycle INTEGER NOT NULL DEFAULT 0
);
INSERT INTO jobs_new (id, kind, dedupeKey, tenantId, payload, state, runAt, everySeconds, attempts, maxAttempts, leaseOwner, leaseExpiresAt, lastError, lastFinishedAt, createdAt, updatedAt, step, data, secrets, eventKey, event, output, parentId, pending, cycle)
SELECT id, kind, dedupeKey, tenantId, payload, state, runAt, everySeconds, attempts, maxAttempts, leaseOwner, leaseExpiresAt, lastError, lastFinishedAt, createdAt, updatedAt, step, data, secrets, eventKey, event, output, parentId, pending, cycle FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE UNIQUE INDEX unique_jobs_dedupe ON jobs (dedupeKey);
CREATE INDEX idx_jobs_due ON jobs (state, runAt);
CREATE INDEX idx_jobs_event ON jobs (eventKey);
CREATE INDEX idx_jobs_parent ON jobs (parentId);
