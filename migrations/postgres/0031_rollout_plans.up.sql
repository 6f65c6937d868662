-- Rollout plans (issue 15, docs/stores.md): a submission's staged rollout
-- advanced by the job engine, stage by stage. rolloutPlan is
-- [{"rolloutPermille", "waitMinutes"}] (permille strictly increasing, the last
-- 1000); planStage the last stage applied; planNextAt when the next one is
-- due (NULL while halted or when no stage is left); planHeldMs what was left
-- of the wait when a halt paused the plan (a resume continues it).
ALTER TABLE store_submissions ADD COLUMN rolloutPlan jsonb NULL;
ALTER TABLE store_submissions ADD COLUMN planStage INTEGER NULL;
ALTER TABLE store_submissions ADD COLUMN planNextAt timestamptz NULL;
ALTER TABLE store_submissions ADD COLUMN planHeldMs BIGINT NULL;
-- App Store Connect's release type of the version (MANUAL, AFTER_APPROVAL,
-- SCHEDULED) and, SCHEDULED, the earliest release date; NULL: MANUAL.
ALTER TABLE store_submissions ADD COLUMN releaseType VARCHAR(16) NULL;
ALTER TABLE store_submissions ADD COLUMN earliestReleaseDate timestamptz NULL;
