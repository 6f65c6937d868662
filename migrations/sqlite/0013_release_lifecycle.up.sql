-- Releases after their builds (issue 14, docs/releases.md): what a release
-- keeps of the configuration at creation (its tag templates, so a retry or a
-- new candidate names tags as the release began), the current candidate's
-- commit, the final tag and the notes; and the regression approvals.
ALTER TABLE releases ADD COLUMN candidateTagTemplate VARCHAR(255) NULL; -- NULL: made before 0013, the configuration's
ALTER TABLE releases ADD COLUMN finalTagTemplate VARCHAR(255) NULL;
ALTER TABLE releases ADD COLUMN candidateCommit VARCHAR(64) NULL;       -- the commit candidateTag points at
ALTER TABLE releases ADD COLUMN finalTag VARCHAR(255) NULL;             -- made at finish
ALTER TABLE releases ADD COLUMN notes TEXT NULL;                        -- Markdown
ALTER TABLE releases ADD COLUMN notesEditedAt VARCHAR(24) NULL;         -- set: a person wrote them, a new candidate keeps them

-- Who approved which candidate of a release in regression (one row an approver a candidate).
CREATE TABLE release_approvals (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId CHAR(36) NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  candidateNumber INTEGER NOT NULL,
  accountId VARCHAR(255) NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  role VARCHAR(16) NOT NULL CHECK (role IN ('editor', 'owner', 'viewer')), -- the approver's role when approving
  note TEXT NULL,
  createdAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_release_approvals UNIQUE (releaseId, candidateNumber, accountId)
);
