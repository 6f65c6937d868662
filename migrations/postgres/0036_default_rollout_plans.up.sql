-- A tenant's default rollout plan per store target (issue 15, docs/stores.md
-- "Rollout plans"): {"<targetIntegrationId>": [{"rolloutPermille",
-- "waitMinutes"}]}, in the release configuration; a submission that names no
-- plan and no share takes its target's. NULL: none.
ALTER TABLE release_configs ADD COLUMN rolloutPlans jsonb NULL;
