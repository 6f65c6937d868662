-- The job queue (DESIGN.md, background work): work any slipway process
-- sharing the database may run, each job exactly once. A worker claims a
-- due job by setting state RUNNING with a lease (leaseOwner, leaseExpiresAt)
-- in one transaction (SELECT ... FOR UPDATE SKIP LOCKED where the database
-- has it; the SQLite write lock serializes claims); it renews the lease while
-- it works, and a job whose lease ran out (its process died) is due again.
-- dedupeKey makes an enqueue idempotent; everySeconds makes a job
-- recurring: done, it is queued again that much later.
CREATE TABLE jobs (
  id CHAR(36) NOT NULL PRIMARY KEY,
  kind VARCHAR(64) NOT NULL,
  dedupeKey VARCHAR(255) NULL,
  tenantId CHAR(36) NULL,
  payload JSON NULL,
  state VARCHAR(16) NOT NULL CHECK (state IN ('DONE', 'FAILED', 'QUEUED', 'RUNNING')),
  runAt VARCHAR(24) NOT NULL,
  everySeconds INTEGER NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  maxAttempts INTEGER NOT NULL DEFAULT 5,
  leaseOwner VARCHAR(255) NULL,
  leaseExpiresAt VARCHAR(24) NULL,
  lastError TEXT NULL,
  lastFinishedAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL
);
CREATE UNIQUE INDEX unique_jobs_dedupe ON jobs (dedupeKey);
CREATE INDEX idx_jobs_due ON jobs (state, runAt);
