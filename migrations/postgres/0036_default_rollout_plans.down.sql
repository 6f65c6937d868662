UPDATE releases SET status = 'READY' WHERE status = 'RELEASED';
ALTER TABLE releases DROP CONSTRAINT releases_status_check;
ALTER TABLE releases ADD CONSTRAINT releases_status_check
  CHECK (status IN ('BLOCKED', 'BUILDING', 'CANCELLED', 'FINISHED', 'KICKOFF', 'PAUSED', 'READY', 'REGRESSION'));
ALTER TABLE release_configs DROP COLUMN rolloutPlans;
