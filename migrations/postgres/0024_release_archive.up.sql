-- Archiving a finished or cancelled release (issue 14, docs/releases.md "Archive"): set, the default list hides it.
ALTER TABLE releases ADD COLUMN archivedAt timestamptz NULL;
