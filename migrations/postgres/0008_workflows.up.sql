-- The workflow engine: see migrations/sqlite/0007_workflows.up.sql.
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;

ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
  CHECK (state IN ('CANCELLED', 'DONE', 'FAILED', 'QUEUED', 'RUNNING', 'WAITING'));

ALTER TABLE jobs ADD COLUMN step INTEGER NOT NULL DEFAULT 0;

ALTER TABLE jobs ADD COLUMN data jsonb NULL;

ALTER TABLE jobs ADD COLUMN secrets TEXT NULL;

ALTER TABLE jobs ADD COLUMN eventKey VARCHAR(255) NULL;

ALTER TABLE jobs ADD COLUMN event jsonb NULL;

ALTER TABLE jobs ADD COLUMN output jsonb NULL;

ALTER TABLE jobs ADD COLUMN parentId uuid NULL REFERENCES jobs (id) ON DELETE CASCADE;

ALTER TABLE jobs ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;

ALTER TABLE jobs ADD COLUMN cycle INTEGER NOT NULL DEFAULT 0;

CREATE INDEX idx_jobs_event ON jobs (eventKey);

CREATE INDEX idx_jobs_parent ON jobs (parentId);

CREATE TABLE job_events (
  eventKey VARCHAR(255) NOT NULL PRIMARY KEY,
  payload jsonb NULL,
  createdAt timestamptz NOT NULL
);
