ALTER TABLE store_submissions DROP COLUMN earliestReleaseDate;
ALTER TABLE store_submissions DROP COLUMN releaseType;
ALTER TABLE store_submissions DROP COLUMN planHeldMs;
ALTER TABLE store_submissions DROP COLUMN planNextAt;
ALTER TABLE store_submissions DROP COLUMN planStage;
ALTER TABLE store_submissions DROP COLUMN rolloutPlan;
