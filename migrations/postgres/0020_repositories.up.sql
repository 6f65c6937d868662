-- Repositories: PostgreSQL translation of migrations/sqlite/0020 (issue 17, docs/deployments.md "Repositories"): the
-- repositories an SCM integration's token can see, synced by a durable job
-- (upsert by integration and the provider's id, externalId; a repository gone from the
-- provider is deleted with its pins), and the ones each account pinned.
-- The sync state lives on the integration (one sync per integration):
-- syncStatus, lastSyncError here, lastSyncedAt since 0002. A failed sync
-- keeps the rows of the last good one.
ALTER TABLE tenant_scm_integrations ADD COLUMN syncStatus VARCHAR(16) NOT NULL DEFAULT 'NEVER'
  CHECK (syncStatus IN ('NEVER', 'SYNCING', 'SYNCED', 'FAILED'));
ALTER TABLE tenant_scm_integrations ADD COLUMN lastSyncError VARCHAR(1000) NULL;

CREATE TABLE repositories (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  integrationId uuid NOT NULL REFERENCES tenant_scm_integrations (id) ON DELETE CASCADE,
  externalId VARCHAR(64) NOT NULL,          -- the provider's own id (GitHub's number, Bitbucket's uuid)
  fullName VARCHAR(512) NOT NULL,           -- owner/name, group/subgroup/name
  defaultBranch VARCHAR(255) NULL,
  private BOOLEAN NOT NULL DEFAULT FALSE,
  webUrl VARCHAR(2048) NULL,
  syncedAt timestamptz NOT NULL,            -- the sync that last saw it
  createdAt timestamptz NOT NULL,
  CONSTRAINT unique_repositories_provider UNIQUE (integrationId, externalId)
);
CREATE INDEX idx_repositories_tenant ON repositories (tenantId, fullName, id);

CREATE TABLE profile_repository_pins (
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  accountId uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  repositoryId uuid NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  createdAt timestamptz NOT NULL,
  PRIMARY KEY (accountId, repositoryId)
);
CREATE INDEX idx_repository_pins_repository ON profile_repository_pins (repositoryId);
CREATE INDEX idx_repository_pins_tenant ON profile_repository_pins (tenantId, accountId);
