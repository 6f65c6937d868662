DROP TABLE IF EXISTS release_configs;
DROP TABLE IF EXISTS release_events;
DROP FUNCTION IF EXISTS release_events_append_only();
DROP TABLE IF EXISTS release_builds;
DROP TABLE IF EXISTS releases;
