-- Back to the queue of 0004: waiting jobs are queued again, cancelled ones failed.
DROP TABLE IF EXISTS job_events;
CREATE TABLE jobs_old (
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
INSERT INTO jobs_old (id, kind, dedupeKey, tenantId, payload, state, runAt, everySeconds, attempts, maxAttempts, leaseOwner,
                      leaseExpiresAt, lastError, lastFinishedAt, createdAt, updatedAt)
  SELECT id, kind, dedupeKey, tenantId, payload,
         CASE state WHEN 'WAITING' THEN 'QUEUED' WHEN 'CANCELLED' THEN 'FAILED' ELSE state END,
         runAt, everySeconds, attempts, maxAttempts, leaseOwner, leaseExpiresAt, lastError, lastFinishedAt, createdAt, updatedAt
  FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_old RENAME TO jobs;
CREATE UNIQUE INDEX unique_jobs_dedupe ON jobs (dedupeKey);
CREATE INDEX idx_jobs_due ON jobs (state, runAt);
