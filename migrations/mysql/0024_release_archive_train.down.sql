ALTER TABLE release_configs DROP COLUMN kickoffSchedule;
ALTER TABLE releases DROP COLUMN archivedAt;
