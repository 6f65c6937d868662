-- The job queue grows into the workflow engine (docs/internals/jobs.md).
-- A job is a step machine whose state lives in its row between steps, so a
-- process killed mid-workflow is resumed at the step it was on, by any
-- process:
--   step, data, secrets  where the job is and what later steps need (secrets
--                        encrypted like integration credentials, bound to
--                        this row's id);
--   eventKey, event      a WAITING job waits for jobs_signal(eventKey) until
--                        runAt (its deadline); event is what the signal sent;
--   parentId, pending    a job that waits for its children: pending counts
--                        those not finished (deleting a parent deletes them);
--   output               the result of a finished job;
--   cycle                a recurring job's finished runs (in its step keys).
-- New states: WAITING (for an event, a deadline or children), CANCELLED.
-- job_events keeps a signal that came before any job waited for it.
-- SQLite cannot change a CHECK in place: the table is made again.
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
  parentId CHAR(36) NULL REFERENCES jobs (id) ON DELETE CASCADE,
  pending INTEGER NOT NULL DEFAULT 0,
  cycle INTEGER NOT NULL DEFAULT 0
);
INSERT INTO jobs_new (id, kind, dedupeKey, tenantId, payload, state, runAt, everySeconds, attempts, maxAttempts, leaseOwner,
                      leaseExpiresAt, lastError, lastFinishedAt, createdAt, updatedAt)
  SELECT id, kind, dedupeKey, tenantId, payload, state, runAt, everySeconds, attempts, maxAttempts, leaseOwner, leaseExpiresAt,
         lastError, lastFinishedAt, createdAt, updatedAt FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE UNIQUE INDEX unique_jobs_dedupe ON jobs (dedupeKey);
CREATE INDEX idx_jobs_due ON jobs (state, runAt);
CREATE INDEX idx_jobs_event ON jobs (eventKey);
CREATE INDEX idx_jobs_parent ON jobs (parentId);

CREATE TABLE job_events (
  eventKey VARCHAR(255) NOT NULL PRIMARY KEY,
  payload JSON NULL,
  createdAt VARCHAR(24) NOT NULL
);
