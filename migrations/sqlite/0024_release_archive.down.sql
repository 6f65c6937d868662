ALTER TABLE releases DROP COLUMN archivedAt;
