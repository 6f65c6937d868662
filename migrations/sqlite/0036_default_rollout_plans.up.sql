-- A release whose every platform's build reached every user of its store is
-- RELEASED (src/releases/lifecycle.c). SQLite cannot change a CHECK in place,
-- and making releases again would delete the rows of the six tables that
-- reference it: the constraint's text is widened where SQLite keeps it
-- (every row satisfies the wider one), and the ALTER TABLE after it, in the
-- same transaction, makes every connection read the schema again.
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql, '''READY'', ''REGRESSION'')', '''READY'', ''REGRESSION'', ''RELEASED'')')
  WHERE type = 'table' AND name = 'releases';
PRAGMA writable_schema = OFF;
-- A tenant's default rollout plan per store target (issue 15, docs/stores.md
-- "Rollout plans"): {"<targetIntegrationId>": [{"rolloutPermille",
-- "waitMinutes"}]}, in the release configuration; a submission that names no
-- plan and no share takes its target's. NULL: none.
ALTER TABLE release_configs ADD COLUMN rolloutPlans JSON NULL;
