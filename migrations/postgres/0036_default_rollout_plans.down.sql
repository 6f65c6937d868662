ALTER TABLE release_configs DROP COLUMN rolloutPlans;
