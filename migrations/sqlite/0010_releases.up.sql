-- Releases (document 000's RELEASES; issue 14, docs/releases.md): a release
-- of a tenant's app, its builds, its append-only timeline, and the tenant's
-- release configuration. Statuses follow src/releases/lifecycle.c, the one
-- transition table of each object.
CREATE TABLE releases (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  version VARCHAR(64) NOT NULL,
  releaseType VARCHAR(16) NOT NULL CHECK (releaseType IN ('HOTFIX', 'MAJOR', 'MINOR', 'PATCH')),
  platforms JSON NOT NULL,                  -- ["IOS", "ANDROID", "WEB"], a non-empty set
  status VARCHAR(16) NOT NULL
    CHECK (status IN ('BLOCKED', 'BUILDING', 'CANCELLED', 'FINISHED', 'KICKOFF', 'PAUSED', 'READY', 'REGRESSION')),
  resumeStatus VARCHAR(16) NULL,            -- PAUSED: the status resume goes back to
  statusReason TEXT NULL,                   -- BLOCKED, CANCELLED: why, for a person
  scmIntegrationId VARCHAR(255) NULL REFERENCES tenant_scm_integrations (id) ON DELETE SET NULL,
  baseRef VARCHAR(255) NOT NULL,            -- the branch (or tag, or commit) the release starts from
  baseCommit VARCHAR(64) NULL,              -- baseRef resolved at kickoff
  releaseBranch VARCHAR(255) NOT NULL,      -- from the configuration's template, at creation
  branchCommit VARCHAR(64) NULL,            -- where the release branch was made (or found) at kickoff
  candidateNumber INTEGER NOT NULL DEFAULT 0,
  candidateTag VARCHAR(255) NULL,           -- the current release candidate's tag, once it exists
  targetDate VARCHAR(10) NULL,              -- YYYY-MM-DD
  kickoffAt VARCHAR(24) NULL,               -- when kickoff ended with the first candidate tagged
  createdByAccountId VARCHAR(255) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_releases_version UNIQUE (tenantId, version)
);
CREATE INDEX idx_releases_page ON releases (tenantId, createdAt, id);
CREATE INDEX idx_releases_status ON releases (tenantId, status, createdAt, id);

CREATE TABLE release_builds (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId CHAR(36) NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  platform VARCHAR(16) NOT NULL CHECK (platform IN ('ANDROID', 'IOS', 'WEB')),
  pipelineIntegrationId VARCHAR(255) NULL REFERENCES tenant_pipeline_integrations (id) ON DELETE SET NULL,
  candidateNumber INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,       -- a failed build retried is a new row, attempt + 1
  status VARCHAR(16) NOT NULL
    CHECK (status IN ('CANCELLED', 'FAILED', 'PENDING', 'QUEUED', 'RUNNING', 'SUCCEEDED')),
  runId VARCHAR(255) NULL,                  -- the CI provider's id of the run
  buildNumber VARCHAR(64) NULL,
  buildUrl VARCHAR(2048) NULL,
  artifactRef VARCHAR(2048) NULL,
  startedAt VARCHAR(24) NULL,
  finishedAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_release_builds UNIQUE (releaseId, platform, candidateNumber, attempt)
);

-- The timeline: every status change, action and provider call outcome, with who. Append-only.
CREATE TABLE release_events (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  releaseId CHAR(36) NOT NULL REFERENCES releases (id) ON DELETE RESTRICT,
  kind VARCHAR(16) NOT NULL CHECK (kind IN ('ACTION', 'CALL', 'STATUS')),
  name VARCHAR(64) NOT NULL,                -- create, cancel, resolve-ref, create-branch, ...
  outcome VARCHAR(16) NULL CHECK (outcome IS NULL OR outcome IN ('FAILED', 'OK', 'RETRY')),
  fromStatus VARCHAR(16) NULL,
  toStatus VARCHAR(16) NULL,
  message TEXT NULL,
  details JSON NULL,
  actorAccountId VARCHAR(255) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt VARCHAR(24) NOT NULL
);
CREATE INDEX idx_release_events_release ON release_events (releaseId, createdAt, id);
CREATE TRIGGER release_events_no_update BEFORE UPDATE ON release_events
BEGIN SELECT RAISE(ABORT, 'release_events is append-only'); END;
CREATE TRIGGER release_events_no_delete BEFORE DELETE ON release_events
BEGIN SELECT RAISE(ABORT, 'release_events is append-only'); END;

-- One a tenant; without a row the defaults below apply.
CREATE TABLE release_configs (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  scmIntegrationId VARCHAR(255) NULL REFERENCES tenant_scm_integrations (id) ON DELETE SET NULL,
  baseBranch VARCHAR(255) NULL,             -- NULL: the SCM connection's defaultBranch
  branchTemplate VARCHAR(255) NOT NULL DEFAULT 'release/{version}',
  candidateTagTemplate VARCHAR(255) NOT NULL DEFAULT 'v{version}-rc.{n}',
  finalTagTemplate VARCHAR(255) NOT NULL DEFAULT 'v{version}',
  versionScheme VARCHAR(16) NOT NULL DEFAULT 'SEMVER' CHECK (versionScheme IN ('CALVER', 'SEMVER')),
  platformPipelines JSON NULL,              -- {"IOS": pipeline integration id, ...}
  approvalRoles JSON NULL,                  -- ["owner", "editor"]: who may approve regression
  approvalCount INTEGER NOT NULL DEFAULT 1,
  updatedByAccountId VARCHAR(255) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_release_configs_tenant UNIQUE (tenantId)
);
