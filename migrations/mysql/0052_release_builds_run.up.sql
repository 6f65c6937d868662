-- A build webhook is applied in its delivery's transaction (src/releases/builds.c, release_builds_webhook),
-- which finds the build by its pipeline run: one indexed row instead of a scan of the tenant's builds. The run
-- first: on MySQL an index that starts with a foreign key's column becomes that key's, and could not be dropped.
CREATE INDEX idx_release_builds_run ON release_builds (runId, pipelineIntegrationId);
