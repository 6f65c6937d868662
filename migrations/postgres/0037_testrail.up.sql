-- TestRail runs and fix versions at kickoff (PostgreSQL translation of migrations/sqlite/0037; docs/notifications.md).
CREATE TABLE release_test_runs (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  candidateNumber INTEGER NOT NULL,
  integrationId uuid NOT NULL REFERENCES tenant_test_management_integrations (id) ON DELETE CASCADE,
  provider VARCHAR(32) NOT NULL,
  runId VARCHAR(64) NOT NULL,
  name VARCHAR(255) NOT NULL,
  url VARCHAR(2048) NOT NULL,
  passed INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  blocked INTEGER NOT NULL DEFAULT 0,
  retest INTEGER NOT NULL DEFAULT 0,
  untested INTEGER NOT NULL DEFAULT 0,
  other INTEGER NOT NULL DEFAULT 0,
  status VARCHAR(16) NOT NULL,
  lastError VARCHAR(1000) NULL,
  lastReadAt timestamptz NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_release_test_runs UNIQUE (releaseId, integrationId, candidateNumber)
);
CREATE INDEX release_test_runs_tenant ON release_test_runs (tenantId, releaseId);

ALTER TABLE tenant_test_management_integrations ADD COLUMN testRailSuiteId INT NULL;

ALTER TABLE release_configs ADD COLUMN minTestPassRate INTEGER NULL;

CREATE TABLE release_ticket_links (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  integrationId uuid NOT NULL REFERENCES tenant_ticket_integrations (id) ON DELETE CASCADE,
  issueKey VARCHAR(255) NOT NULL,
  createdAt timestamptz NOT NULL,
  CONSTRAINT unique_release_ticket_links UNIQUE (releaseId, integrationId, issueKey)
);
CREATE INDEX release_ticket_links_tenant ON release_ticket_links (tenantId, releaseId);
