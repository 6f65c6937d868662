-- Releases: PostgreSQL (and CockroachDB) translation of migrations/sqlite/0010.
-- Releases (document 000's RELEASES; issue 14, docs/releases.md): a release
-- of a tenant's app, its builds, its append-only timeline, and the tenant's
-- release configuration. Statuses follow src/releases/lifecycle.c, the one
-- transition table of each object.
CREATE TABLE releases (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  version VARCHAR(64) NOT NULL,
  releaseType VARCHAR(16) NOT NULL CHECK (releaseType IN ('HOTFIX', 'MAJOR', 'MINOR', 'PATCH')),
  platforms jsonb NOT NULL,                  -- ["IOS", "ANDROID", "WEB"], a non-empty set
  status VARCHAR(16) NOT NULL
    CHECK (status IN ('BLOCKED', 'BUILDING', 'CANCELLED', 'FINISHED', 'KICKOFF', 'PAUSED', 'READY', 'REGRESSION')),
  resumeStatus VARCHAR(16) NULL,            -- PAUSED: the status resume goes back to
  statusReason TEXT NULL,                   -- BLOCKED, CANCELLED: why, for a person
  scmIntegrationId uuid NULL REFERENCES tenant_scm_integrations (id) ON DELETE SET NULL,
  baseRef VARCHAR(255) NOT NULL,            -- the branch (or tag, or commit) the release starts from
  baseCommit VARCHAR(64) NULL,              -- baseRef resolved at kickoff
  releaseBranch VARCHAR(255) NOT NULL,      -- from the configuration's template, at creation
  branchCommit VARCHAR(64) NULL,            -- where the release branch was made (or found) at kickoff
  candidateNumber INTEGER NOT NULL DEFAULT 0,
  candidateTag VARCHAR(255) NULL,           -- the current release candidate's tag, once it exists
  targetDate VARCHAR(10) NULL,              -- YYYY-MM-DD
  kickoffAt timestamptz NULL,               -- when kickoff ended with the first candidate tagged
  createdByAccountId uuid NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_releases_version UNIQUE (tenantId, version)
);

CREATE INDEX idx_releases_page ON releases (tenantId, createdAt, id);

CREATE INDEX idx_releases_status ON releases (tenantId, status, createdAt, id);

CREATE TABLE release_builds (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  platform VARCHAR(16) NOT NULL CHECK (platform IN ('ANDROID', 'IOS', 'WEB')),
  pipelineIntegrationId uuid NULL REFERENCES tenant_pipeline_integrations (id) ON DELETE SET NULL,
  candidateNumber INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,       -- a failed build retried is a new row, attempt + 1
  status VARCHAR(16) NOT NULL
    CHECK (status IN ('CANCELLED', 'FAILED', 'PENDING', 'QUEUED', 'RUNNING', 'SUCCEEDED')),
  runId VARCHAR(255) NULL,                  -- the CI provider's id of the run
  buildNumber VARCHAR(64) NULL,
  buildUrl VARCHAR(2048) NULL,
  artifactRef VARCHAR(2048) NULL,
  startedAt timestamptz NULL,
  finishedAt timestamptz NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_release_builds UNIQUE (releaseId, platform, candidateNumber, attempt)
);

-- The timeline: every status change, action and provider call outcome, with who. Append-only.
CREATE TABLE release_events (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  releaseId uuid NOT NULL REFERENCES releases (id) ON DELETE RESTRICT,
  kind VARCHAR(16) NOT NULL CHECK (kind IN ('ACTION', 'CALL', 'STATUS')),
  name VARCHAR(64) NOT NULL,                -- create, cancel, resolve-ref, create-branch, ...
  outcome VARCHAR(16) NULL CHECK (outcome IS NULL OR outcome IN ('FAILED', 'OK', 'RETRY')),
  fromStatus VARCHAR(16) NULL,
  toStatus VARCHAR(16) NULL,
  message TEXT NULL,
  details jsonb NULL,
  actorAccountId uuid NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt timestamptz NOT NULL
);

CREATE INDEX idx_release_events_release ON release_events (releaseId, createdAt, id);

CREATE FUNCTION release_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'release_events is append-only';
END;
$$;

CREATE TRIGGER release_events_no_update BEFORE UPDATE ON release_events
  FOR EACH ROW EXECUTE FUNCTION release_events_append_only();

CREATE TRIGGER release_events_no_delete BEFORE DELETE ON release_events
  FOR EACH ROW EXECUTE FUNCTION release_events_append_only();

-- One a tenant; without a row the defaults below apply.
CREATE TABLE release_configs (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  scmIntegrationId uuid NULL REFERENCES tenant_scm_integrations (id) ON DELETE SET NULL,
  baseBranch VARCHAR(255) NULL,             -- NULL: the SCM connection's defaultBranch
  branchTemplate VARCHAR(255) NOT NULL DEFAULT 'release/{version}',
  candidateTagTemplate VARCHAR(255) NOT NULL DEFAULT 'v{version}-rc.{n}',
  finalTagTemplate VARCHAR(255) NOT NULL DEFAULT 'v{version}',
  versionScheme VARCHAR(16) NOT NULL DEFAULT 'SEMVER' CHECK (versionScheme IN ('CALVER', 'SEMVER')),
  platformPipelines jsonb NULL,              -- {"IOS": pipeline integration id, ...}
  approvalRoles jsonb NULL,                  -- ["owner", "editor"]: who may approve regression
  approvalCount INTEGER NOT NULL DEFAULT 1,
  updatedByAccountId uuid NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_release_configs_tenant UNIQUE (tenantId)
);
