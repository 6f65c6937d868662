-- A tenant's default rollout plan per store target (issue 15, docs/stores.md
-- "Rollout plans"): {"<targetIntegrationId>": [{"rolloutPermille",
-- "waitMinutes"}]}, in the release configuration; a submission that names no
-- plan and no share takes its target's. NULL: none.
ALTER TABLE release_configs ADD COLUMN rolloutPlans JSON NULL;
-- A release whose every platform's build reached every user of its store is
-- RELEASED (src/releases/lifecycle.c).
ALTER TABLE releases MODIFY status
  ENUM('BLOCKED', 'BUILDING', 'CANCELLED', 'FINISHED', 'KICKOFF', 'PAUSED', 'READY', 'REGRESSION', 'RELEASED') NOT NULL;
