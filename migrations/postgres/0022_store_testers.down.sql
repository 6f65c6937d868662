ALTER TABLE store_submissions DROP COLUMN testers;
