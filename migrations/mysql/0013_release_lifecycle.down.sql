DROP TABLE IF EXISTS release_approvals;
ALTER TABLE releases DROP COLUMN notesEditedAt;
ALTER TABLE releases DROP COLUMN notes;
ALTER TABLE releases DROP COLUMN finalTag;
ALTER TABLE releases DROP COLUMN candidateCommit;
ALTER TABLE releases DROP COLUMN finalTagTemplate;
ALTER TABLE releases DROP COLUMN candidateTagTemplate;
