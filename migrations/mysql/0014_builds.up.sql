-- The build stage (issue 14, docs/releases.md "Builds"): a build's overall
-- deadline, from its start, per tenant (past it the build FAILS, "timed
-- out", and its CI run is cancelled).
ALTER TABLE release_configs ADD COLUMN buildTimeoutMinutes INTEGER NOT NULL DEFAULT 120;
