-- Back to the queue of 0004: waiting jobs are queued again, cancelled ones failed.
DROP TABLE IF EXISTS job_events;

ALTER TABLE jobs DROP FOREIGN KEY fk_jobs_parent;

DROP INDEX idx_jobs_parent ON jobs;

DROP INDEX idx_jobs_event ON jobs;

ALTER TABLE jobs DROP COLUMN cycle, DROP COLUMN pending, DROP COLUMN parentId, DROP COLUMN output, DROP COLUMN event,
  DROP COLUMN eventKey, DROP COLUMN secrets, DROP COLUMN data, DROP COLUMN step;

UPDATE jobs SET state = CASE state WHEN 'WAITING' THEN 'QUEUED' WHEN 'CANCELLED' THEN 'FAILED' ELSE state END;

ALTER TABLE jobs MODIFY state ENUM('DONE', 'FAILED', 'QUEUED', 'RUNNING') NOT NULL;
