DROP TABLE IF EXISTS release_configs;
DROP TABLE IF EXISTS release_events;
DROP TABLE IF EXISTS release_builds;
DROP TABLE IF EXISTS releases;
