-- The job queue: see migrations/sqlite/0004_jobs.up.sql. PostgreSQL (and
-- CockroachDB) claims with SELECT ... FOR UPDATE SKIP LOCKED.
CREATE TABLE jobs (
  id uuid NOT NULL PRIMARY KEY,
  kind VARCHAR(64) NOT NULL,
  dedupeKey VARCHAR(255) NULL,
  tenantId uuid NULL,
  payload jsonb NULL,
  state VARCHAR(16) NOT NULL CHECK (state IN ('DONE', 'FAILED', 'QUEUED', 'RUNNING')),
  runAt timestamptz NOT NULL,
  everySeconds INTEGER NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  maxAttempts INTEGER NOT NULL DEFAULT 5,
  leaseOwner VARCHAR(255) NULL,
  leaseExpiresAt timestamptz NULL,
  lastError TEXT NULL,
  lastFinishedAt timestamptz NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL
);

CREATE UNIQUE INDEX unique_jobs_dedupe ON jobs (dedupeKey);

CREATE INDEX idx_jobs_due ON jobs (state, runAt);
