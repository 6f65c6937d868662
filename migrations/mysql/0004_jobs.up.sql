-- The job queue: see migrations/sqlite/0004_jobs.up.sql. MySQL 8 and
-- MariaDB 10.6+ claim with SELECT ... FOR UPDATE SKIP LOCKED.
CREATE TABLE jobs (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  kind VARCHAR(64) NOT NULL,
  dedupeKey VARCHAR(255) NULL,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  payload JSON NULL,
  state ENUM('DONE', 'FAILED', 'QUEUED', 'RUNNING') NOT NULL,
  runAt DATETIME(3) NOT NULL,
  everySeconds INT NULL,
  attempts INT NOT NULL DEFAULT 0,
  maxAttempts INT NOT NULL DEFAULT 5,
  leaseOwner VARCHAR(255) NULL,
  leaseExpiresAt DATETIME(3) NULL,
  lastError TEXT NULL,
  lastFinishedAt DATETIME(3) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE UNIQUE INDEX unique_jobs_dedupe ON jobs (dedupeKey);

CREATE INDEX idx_jobs_due ON jobs (state, runAt);
