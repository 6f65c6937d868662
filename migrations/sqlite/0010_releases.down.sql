DROP TABLE IF EXISTS release_configs;
DROP TRIGGER IF EXISTS release_events_no_delete;
DROP TRIGGER IF EXISTS release_events_no_update;
DROP TABLE IF EXISTS release_events;
DROP TABLE IF EXISTS release_builds;
DROP TABLE IF EXISTS releases;
