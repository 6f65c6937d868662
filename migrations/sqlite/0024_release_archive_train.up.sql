-- Archiving a finished or cancelled release (issue 14, docs/releases.md "Archive"): set, the default list hides it.
ALTER TABLE releases ADD COLUMN archivedAt VARCHAR(24) NULL;

-- A tenant's release train (docs/releases.md "Scheduled trains"): {weekday, time, platforms, releaseType}, UTC; NULL: none.
ALTER TABLE release_configs ADD COLUMN kickoffSchedule JSON NULL;
