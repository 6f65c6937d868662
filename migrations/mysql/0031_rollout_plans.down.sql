ALTER TABLE store_submissions DROP COLUMN planHeldMs;
ALTER TABLE store_submissions DROP COLUMN planNextAt;
ALTER TABLE store_submissions DROP COLUMN planStage;
ALTER TABLE store_submissions DROP COLUMN rolloutPlan;
