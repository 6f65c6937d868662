-- Back to the queue of 0004: waiting jobs are queued again, cancelled ones failed.
DROP TABLE IF EXISTS job_events;

DROP INDEX IF EXISTS idx_jobs_parent;

DROP INDEX IF EXISTS idx_jobs_event;

ALTER TABLE jobs DROP COLUMN cycle;

ALTER TABLE jobs DROP COLUMN pending;

ALTER TABLE jobs DROP COLUMN parentId;

ALTER TABLE jobs DROP COLUMN output;

ALTER TABLE jobs DROP COLUMN event;

ALTER TABLE jobs DROP COLUMN eventKey;

ALTER TABLE jobs DROP COLUMN secrets;

ALTER TABLE jobs DROP COLUMN data;

ALTER TABLE jobs DROP COLUMN step;

ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;

UPDATE jobs SET state = CASE state WHEN 'WAITING' THEN 'QUEUED' WHEN 'CANCELLED' THEN 'FAILED' ELSE state END;

ALTER TABLE jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ('DONE', 'FAILED', 'QUEUED', 'RUNNING'));
