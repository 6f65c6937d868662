-- 0061 undone: the status CHECKs as constant lists again (releases' text in place, the other two made again), and
-- the digest column gone.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (releaseType = ''HOTFIX'' OR releaseType = ''MAJOR'' OR releaseType = ''MINOR'' OR releaseType = ''PATCH'')', 'CHECK (releaseType IN (''HOTFIX'', ''MAJOR'', ''MINOR'', ''PATCH''))') WHERE type = 'table' AND name = 'releases';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (status = ''BLOCKED'' OR status = ''BUILDING'' OR status = ''CANCELLED'' OR status = ''FINISHED'' OR status = ''KICKOFF'' OR status = ''PAUSED'' OR status = ''READY'' OR status = ''REGRESSION'' OR status = ''RELEASED'')', 'CHECK (status IN (''BLOCKED'', ''BUILDING'', ''CANCELLED'', ''FINISHED'', ''KICKOFF'', ''PAUSED'', ''READY'', ''REGRESSION'', ''RELEASED''))') WHERE type = 'table' AND name = 'releases';
PRAGMA writable_schema = OFF;
CREATE TABLE release_builds_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId CHAR(36) NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  platform VARCHAR(16) NOT NULL CHECK (platform IN ('ANDROID', 'IOS', 'WEB')),
  pipelineIntegrationId VARCHAR(255) NULL REFERENCES tenant_pipeline_integrations (id) ON DELETE SET NULL,
  candidateNumber INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,       -- a failed build retried is a new row, attempt + 1
  status VARCHAR(16) NOT NULL
    CHECK (status IN ('CANCELLED', 'FAILED', 'PENDING', 'QUEUED', 'RUNNING', 'SUCCEEDED')),
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
  state VARCHAR(16) NOT NULL CHECK (state IN ('CANCELLED', 'DONE', 'FAILED', 'QUEUED', 'RUNNING', 'WAITING')),
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
DROP INDEX idx_webhook_deliveries_digest;
ALTER TABLE webhook_deliveries DROP COLUMN bodyDigest;
