-- Release-management setup (document 001 section 1.1) and the typed
-- integration categories (document 002): PostgreSQL (and CockroachDB)
-- translation of migrations/sqlite/0002, with the same tables, columns,
-- nullability, keys, CHECKs and index names. Every id and id reference is
-- uuid, every time timestamptz, JSON columns jsonb; all made in C, so no
-- default invents an id or a time (the CURRENT_TIMESTAMP defaults of the
-- SQLite file are never used: C always writes createdAt and updatedAt).
-- Secret columns hold AES-256-GCM ciphertext made in C ("v1.<keyId>...").
-- One statement per transaction (the runner splits at a `;` ending a line).

CREATE TABLE tenant_release_settings (
  id uuid PRIMARY KEY,
  tenantId uuid NOT NULL,
  setupComplete BOOLEAN DEFAULT FALSE,
  setupCompletedAt timestamptz NULL,
  setupCompletedByAccountId uuid NULL,
  githubConnected BOOLEAN DEFAULT FALSE,
  targetPlatformsConfigured BOOLEAN DEFAULT FALSE,
  platformCredentialsConfigured BOOLEAN DEFAULT FALSE,
  cicdConfigured BOOLEAN DEFAULT FALSE,
  slackConfigured BOOLEAN DEFAULT FALSE,
  selectedTargets jsonb NULL,
  selectedPlatforms jsonb NULL,
  createdAt timestamptz NULL,
  updatedAt timestamptz NULL,
  CONSTRAINT unique_tenant_release_settings UNIQUE (tenantId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (setupCompletedByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
);

CREATE INDEX idx_tenant_setup_status ON tenant_release_settings (tenantId, setupComplete);

CREATE TABLE tenant_scm_integrations (
  id uuid PRIMARY KEY,
  tenantId uuid NOT NULL,
  scmType VARCHAR(16) NOT NULL CHECK (scmType IN ('GITHUB', 'GITLAB', 'BITBUCKET', 'GITEA')),
  displayName VARCHAR(255) NOT NULL,
  organization VARCHAR(255) NOT NULL,
  repoName VARCHAR(255) NOT NULL,
  repositoryUrl VARCHAR(512) NOT NULL,
  defaultBranch VARCHAR(255) DEFAULT 'main',
  serverUrl VARCHAR(512) NULL,
  accessToken TEXT NOT NULL,                 -- encrypted
  refreshToken TEXT NULL,                    -- encrypted
  expiresAt timestamptz NULL,
  lastSyncedAt timestamptz NULL,
  verificationStatus VARCHAR(16) NOT NULL DEFAULT 'NOT_VERIFIED'
    CHECK (verificationStatus IN ('NOT_VERIFIED', 'VALID', 'INVALID', 'EXPIRED')),
  lastVerifiedAt timestamptz NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId uuid NOT NULL,
  createdAt timestamptz NULL,
  updatedAt timestamptz NULL,
  CONSTRAINT unique_tenant_scm UNIQUE (tenantId, scmType, organization),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
);

CREATE INDEX idx_tenant_scm_active ON tenant_scm_integrations (tenantId, isActive);

CREATE INDEX idx_scm_verification ON tenant_scm_integrations (verificationStatus);

CREATE TABLE tenant_target_integrations (
  id uuid PRIMARY KEY,
  tenantId uuid NOT NULL,
  targetType VARCHAR(16) NOT NULL CHECK (targetType IN ('APP_STORE', 'PLAY_STORE', 'FIREBASE')),
  displayName VARCHAR(255) NOT NULL,
  appleApiKeyId TEXT NULL,                   -- encrypted
  appleIssuerId TEXT NULL,                   -- encrypted
  applePrivateKey TEXT NULL,                 -- encrypted
  appleBundleId VARCHAR(255) NULL,
  appleTeamId VARCHAR(255) NULL,
  googleServiceAccountEmail VARCHAR(255) NULL,
  googlePrivateKey TEXT NULL,                -- encrypted
  googlePackageName VARCHAR(255) NULL,
  firebaseProjectId VARCHAR(255) NULL,
  firebaseAppId VARCHAR(255) NULL,
  verificationStatus VARCHAR(16) NOT NULL DEFAULT 'NOT_VERIFIED'
    CHECK (verificationStatus IN ('NOT_VERIFIED', 'VALID', 'INVALID', 'EXPIRED')),
  lastVerifiedAt timestamptz NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId uuid NOT NULL,
  createdAt timestamptz NULL,
  updatedAt timestamptz NULL,
  CONSTRAINT unique_tenant_target UNIQUE (tenantId, targetType),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
);

CREATE INDEX idx_tenant_target_active ON tenant_target_integrations (tenantId, isActive);

CREATE TABLE tenant_pipeline_integrations (
  id uuid PRIMARY KEY,
  tenantId uuid NOT NULL,
  pipelineType VARCHAR(16) NOT NULL CHECK (pipelineType IN ('JENKINS', 'GITHUB_ACTIONS', 'GITLAB_CI', 'CIRCLECI')),
  displayName VARCHAR(255) NOT NULL,
  description TEXT NULL,
  scmIntegrationId uuid NOT NULL,
  targetIntegrationId uuid NOT NULL,
  platform VARCHAR(16) NULL CHECK (platform IS NULL OR platform IN ('IOS', 'ANDROID', 'WEB')),
  jenkinsUrl VARCHAR(512) NULL,
  jenkinsUsername VARCHAR(255) NULL,
  jenkinsApiToken TEXT NULL,                 -- encrypted
  jenkinsJobPath VARCHAR(512) NULL,
  githubWorkflowPath VARCHAR(512) NULL,
  githubWorkflowRef VARCHAR(255) NULL,
  gitlabPipelineId VARCHAR(255) NULL,
  gitlabJobName VARCHAR(255) NULL,
  circleciProjectSlug VARCHAR(512) NULL,
  circleciApiToken TEXT NULL,                -- encrypted
  circleciWorkflowName VARCHAR(255) NULL,
  triggerOnRelease BOOLEAN DEFAULT TRUE,
  buildTimeout INT DEFAULT 3600,
  environmentVariables jsonb NULL,
  verificationStatus VARCHAR(16) NOT NULL DEFAULT 'NOT_VERIFIED'
    CHECK (verificationStatus IN ('NOT_VERIFIED', 'VALID', 'INVALID', 'EXPIRED')),
  lastVerifiedAt timestamptz NULL,
  lastVerificationError TEXT NULL,
  lastTriggeredAt timestamptz NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId uuid NOT NULL,
  createdAt timestamptz NULL,
  updatedAt timestamptz NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (scmIntegrationId) REFERENCES tenant_scm_integrations (id) ON DELETE RESTRICT,
  FOREIGN KEY (targetIntegrationId) REFERENCES tenant_target_integrations (id) ON DELETE RESTRICT,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
);

CREATE INDEX idx_tenant_pipeline ON tenant_pipeline_integrations (tenantId, isActive);

CREATE INDEX idx_pipeline_scm ON tenant_pipeline_integrations (scmIntegrationId);

CREATE INDEX idx_pipeline_target ON tenant_pipeline_integrations (targetIntegrationId);

CREATE TABLE tenant_communication_integrations (
  id uuid PRIMARY KEY,
  tenantId uuid NOT NULL,
  communicationType VARCHAR(16) NOT NULL CHECK (communicationType IN ('SLACK', 'EMAIL', 'TEAMS')),
  displayName VARCHAR(255) NOT NULL,
  slackBotToken TEXT NULL,                   -- encrypted
  slackChannels jsonb NULL,
  slackWebhookUrl TEXT NULL,                 -- encrypted
  emailRecipients jsonb NULL,
  emailFromAddress VARCHAR(255) NULL,
  smtpHost VARCHAR(255) NULL,
  smtpPort INT NULL,
  smtpUsername VARCHAR(255) NULL,
  smtpPassword TEXT NULL,                    -- encrypted
  teamsWebhookUrl TEXT NULL,                 -- encrypted
  teamsChannelId VARCHAR(255) NULL,
  notifyOnEvents jsonb NULL,
  verificationStatus VARCHAR(16) NOT NULL DEFAULT 'NOT_VERIFIED'
    CHECK (verificationStatus IN ('NOT_VERIFIED', 'VALID', 'INVALID', 'EXPIRED')),
  lastVerifiedAt timestamptz NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId uuid NOT NULL,
  createdAt timestamptz NULL,
  updatedAt timestamptz NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
);

CREATE INDEX idx_tenant_communication ON tenant_communication_integrations (tenantId, isActive);

CREATE INDEX idx_communication_type ON tenant_communication_integrations (communicationType);

CREATE TABLE tenant_ticket_integrations (
  id uuid PRIMARY KEY,
  tenantId uuid NOT NULL,
  ticketSystemType VARCHAR(16) NOT NULL CHECK (ticketSystemType IN ('JIRA', 'LINEAR', 'AZURE_DEVOPS')),
  displayName VARCHAR(255) NOT NULL,
  jiraUrl VARCHAR(512) NULL,
  jiraEmail VARCHAR(255) NULL,
  jiraApiToken TEXT NULL,                    -- encrypted
  jiraProjectKey VARCHAR(255) NULL,
  jiraDefaultIssueType VARCHAR(255) NULL,
  linearApiKey TEXT NULL,                    -- encrypted
  linearTeamId VARCHAR(255) NULL,
  linearDefaultProjectId VARCHAR(255) NULL,
  azureOrganization VARCHAR(255) NULL,
  azureProject VARCHAR(255) NULL,
  azurePatToken TEXT NULL,                   -- encrypted
  azureUrl VARCHAR(512) NULL,
  autoCreateEpics BOOLEAN DEFAULT FALSE,
  epicTemplate jsonb NULL,
  verificationStatus VARCHAR(16) NOT NULL DEFAULT 'NOT_VERIFIED'
    CHECK (verificationStatus IN ('NOT_VERIFIED', 'VALID', 'INVALID', 'EXPIRED')),
  lastVerifiedAt timestamptz NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId uuid NOT NULL,
  createdAt timestamptz NULL,
  updatedAt timestamptz NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
);

CREATE INDEX idx_tenant_ticket ON tenant_ticket_integrations (tenantId, isActive);

CREATE INDEX idx_ticket_type ON tenant_ticket_integrations (ticketSystemType);

CREATE TABLE tenant_test_management_integrations (
  id uuid PRIMARY KEY,
  tenantId uuid NOT NULL,
  testManagementType VARCHAR(16) NOT NULL CHECK (testManagementType IN ('TEST_RAIL')),
  displayName VARCHAR(255) NOT NULL,
  testRailUrl VARCHAR(512) NULL,
  testRailUsername VARCHAR(255) NULL,
  testRailApiKey TEXT NULL,                  -- encrypted
  testRailProjectId INT NULL,
  verificationStatus VARCHAR(16) NOT NULL DEFAULT 'NOT_VERIFIED'
    CHECK (verificationStatus IN ('NOT_VERIFIED', 'VALID', 'INVALID', 'EXPIRED')),
  lastVerifiedAt timestamptz NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId uuid NOT NULL,
  createdAt timestamptz NULL,
  updatedAt timestamptz NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
);

CREATE INDEX idx_tenant_test_management ON tenant_test_management_integrations (tenantId, isActive);

CREATE TABLE tenant_code_signing_integrations (
  id uuid PRIMARY KEY,
  tenantId uuid NOT NULL,
  signingType VARCHAR(16) NOT NULL CHECK (signingType IN ('CODE_SIGNING')),
  displayName VARCHAR(255) NOT NULL,
  platform VARCHAR(16) NOT NULL CHECK (platform IN ('IOS', 'ANDROID')),
  certificateFormat VARCHAR(16) NOT NULL CHECK (certificateFormat IN ('PKCS12', 'PEM')),
  certificateData TEXT NOT NULL,             -- encrypted
  certificatePassword TEXT NULL,             -- encrypted
  keyAlias VARCHAR(255) NULL,
  keyPassword TEXT NULL,                     -- encrypted
  certificateSubject VARCHAR(512) NULL,
  certificateFingerprint CHAR(64) NULL,
  certificateExpiresAt timestamptz NULL,        -- drives EXPIRED
  verificationStatus VARCHAR(16) NOT NULL DEFAULT 'NOT_VERIFIED'
    CHECK (verificationStatus IN ('NOT_VERIFIED', 'VALID', 'INVALID', 'EXPIRED')),
  lastVerifiedAt timestamptz NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId uuid NOT NULL,
  createdAt timestamptz NULL,
  updatedAt timestamptz NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
);

CREATE INDEX idx_tenant_code_signing ON tenant_code_signing_integrations (tenantId, isActive);

CREATE INDEX idx_code_signing_expiry ON tenant_code_signing_integrations (certificateExpiresAt);

-- The single-table shape of document 001, read-only, over the category tables, so
-- that the query patterns of document 000 run verbatim. Same columns, in the same
-- order, as the SQLite view; config holds the non-secret settings (times in
-- it formatted as the API writes them), credentials stay in their encrypted
-- columns.
CREATE VIEW tenant_integrations AS
SELECT id, tenantId, scmType AS integrationType, isActive AS isEnabled, TRUE AS isRequired,
       jsonb_build_object('organization', organization, 'repoName', repoName, 'repositoryUrl', repositoryUrl,
                          'defaultBranch', defaultBranch, 'serverUrl', serverUrl) AS config,
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_scm_integrations
UNION ALL
SELECT id, tenantId, targetType, isActive, TRUE,
       jsonb_build_object('bundleId', appleBundleId, 'teamId', appleTeamId, 'serviceAccountEmail', googleServiceAccountEmail,
                          'packageName', googlePackageName, 'firebaseProjectId', firebaseProjectId, 'firebaseAppId', firebaseAppId),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_target_integrations
UNION ALL
SELECT id, tenantId, pipelineType, isActive, FALSE,
       jsonb_build_object('scmIntegrationId', scmIntegrationId, 'targetIntegrationId', targetIntegrationId, 'platform', platform,
                          'url', jenkinsUrl, 'username', jenkinsUsername, 'jobPath', jenkinsJobPath,
                          'workflowPath', githubWorkflowPath, 'projectSlug', circleciProjectSlug),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_pipeline_integrations
UNION ALL
SELECT id, tenantId, communicationType, isActive, FALSE,
       jsonb_build_object('channels', slackChannels, 'recipients', emailRecipients, 'notifyOnEvents', notifyOnEvents),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_communication_integrations
UNION ALL
SELECT id, tenantId, ticketSystemType, isActive, FALSE,
       jsonb_build_object('url', jiraUrl, 'projectKey', jiraProjectKey, 'teamId', linearTeamId, 'organization', azureOrganization,
                          'project', azureProject),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_ticket_integrations
UNION ALL
SELECT id, tenantId, testManagementType, isActive, FALSE,
       jsonb_build_object('url', testRailUrl, 'projectId', testRailProjectId),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_test_management_integrations
UNION ALL
SELECT id, tenantId, signingType, isActive, FALSE,
       jsonb_build_object('platform', platform, 'subject', certificateSubject,
                          'expiresAt', to_char(certificateExpiresAt AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_code_signing_integrations;
