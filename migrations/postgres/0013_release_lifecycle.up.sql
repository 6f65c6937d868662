-- Release lifecycle: PostgreSQL (and CockroachDB) translation of migrations/sqlite/0013.
ALTER TABLE releases ADD COLUMN candidateTagTemplate VARCHAR(255) NULL;
ALTER TABLE releases ADD COLUMN finalTagTemplate VARCHAR(255) NULL;
ALTER TABLE releases ADD COLUMN candidateCommit VARCHAR(64) NULL;
ALTER TABLE releases ADD COLUMN finalTag VARCHAR(255) NULL;
ALTER TABLE releases ADD COLUMN notes TEXT NULL;
ALTER TABLE releases ADD COLUMN notesEditedAt timestamptz NULL;

CREATE TABLE release_approvals (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  candidateNumber INTEGER NOT NULL,
  accountId uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  role VARCHAR(16) NOT NULL CHECK (role IN ('editor', 'owner', 'viewer')),
  note TEXT NULL,
  createdAt timestamptz NOT NULL,
  CONSTRAINT unique_release_approvals UNIQUE (releaseId, candidateNumber, accountId)
);
