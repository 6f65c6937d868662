-- Release lifecycle: MySQL/MariaDB translation of migrations/sqlite/0013.
ALTER TABLE releases ADD COLUMN candidateTagTemplate VARCHAR(255) NULL;
ALTER TABLE releases ADD COLUMN finalTagTemplate VARCHAR(255) NULL;
ALTER TABLE releases ADD COLUMN candidateCommit VARCHAR(64) NULL;
ALTER TABLE releases ADD COLUMN finalTag VARCHAR(255) NULL;
ALTER TABLE releases ADD COLUMN notes TEXT NULL;
ALTER TABLE releases ADD COLUMN notesEditedAt DATETIME(3) NULL;

CREATE TABLE release_approvals (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  releaseId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  candidateNumber INTEGER NOT NULL,
  accountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  role ENUM('editor', 'owner', 'viewer') NOT NULL,
  note TEXT NULL,
  createdAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_release_approvals UNIQUE (releaseId, candidateNumber, accountId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (releaseId) REFERENCES releases (id) ON DELETE CASCADE,
  FOREIGN KEY (accountId) REFERENCES accounts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
