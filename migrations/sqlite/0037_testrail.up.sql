-- TestRail runs and fix versions at kickoff (issue 16, docs/notifications.md "Test runs" and "Fix versions").
-- A release candidate's test run in each test-management integration, one per (release, integration, candidate), so
-- a retry after a crash finds it instead of opening a second; its counts as last read.
CREATE TABLE release_test_runs (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId CHAR(36) NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  candidateNumber INTEGER NOT NULL,
  integrationId VARCHAR(255) NOT NULL REFERENCES tenant_test_management_integrations (id) ON DELETE CASCADE,
  provider VARCHAR(32) NOT NULL,            -- TEST_RAIL
  runId VARCHAR(64) NOT NULL,               -- TestRail's run id
  name VARCHAR(255) NOT NULL,               -- "1.2.0 RC2"
  url VARCHAR(2048) NOT NULL,
  passed INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  blocked INTEGER NOT NULL DEFAULT 0,
  retest INTEGER NOT NULL DEFAULT 0,
  untested INTEGER NOT NULL DEFAULT 0,
  other INTEGER NOT NULL DEFAULT 0,         -- tests with a custom status
  status VARCHAR(16) NOT NULL,              -- ACTIVE (read while the candidate is tested), DONE (no longer read)
  lastError VARCHAR(1000) NULL,             -- the last read's refusal, never a secret
  lastReadAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_release_test_runs UNIQUE (releaseId, integrationId, candidateNumber)
);
CREATE INDEX release_test_runs_tenant ON release_test_runs (tenantId, releaseId);

-- A project of several suites: the one a run takes its cases from.
ALTER TABLE tenant_test_management_integrations ADD COLUMN testRailSuiteId INT NULL;

-- The regression approval's gate: NULL none; else each test run of the candidate passes at least this percentage.
ALTER TABLE release_configs ADD COLUMN minTestPassRate INTEGER NULL;

-- An issue the release's notes name that has the release's fix version (Jira) or label (Linear): once per issue
-- across kickoff, new candidates and finish.
CREATE TABLE release_ticket_links (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId CHAR(36) NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  integrationId VARCHAR(255) NOT NULL REFERENCES tenant_ticket_integrations (id) ON DELETE CASCADE,
  issueKey VARCHAR(255) NOT NULL,           -- ENG-42
  createdAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_release_ticket_links UNIQUE (releaseId, integrationId, issueKey)
);
CREATE INDEX release_ticket_links_tenant ON release_ticket_links (tenantId, releaseId);
