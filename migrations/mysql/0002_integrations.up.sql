-- Release-management setup (document 001 section 1.1) and the typed
-- integration categories (document 002): MySQL/MariaDB translation of
-- migrations/sqlite/0002, in the style of document 001 (InnoDB, ENUM types,
-- latin1_bin CHAR(36) ids, utf8mb4_bin text: see 0001 for why). The same
-- tables, columns, nullability, keys and index names as SQLite. IDs and times
-- are made in C, so the CURRENT_TIMESTAMP defaults of the SQLite file
-- (never used) and ON UPDATE CURRENT_TIMESTAMP of document 001 are left out:
-- an update that does not name updatedAt must not move it here alone.
-- Secret columns hold AES-256-GCM ciphertext made in C ("v1.<keyId>...").
-- certificateData is MEDIUMTEXT because a certificate may be 1 MiB (TEXT
-- stops at 64 KiB).
-- One statement per transaction (the runner splits at a `;` ending a line).

CREATE TABLE tenant_release_settings (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  setupComplete BOOLEAN DEFAULT FALSE,
  setupCompletedAt DATETIME(3) NULL,
  setupCompletedByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  githubConnected BOOLEAN DEFAULT FALSE,
  targetPlatformsConfigured BOOLEAN DEFAULT FALSE,
  platformCredentialsConfigured BOOLEAN DEFAULT FALSE,
  cicdConfigured BOOLEAN DEFAULT FALSE,
  slackConfigured BOOLEAN DEFAULT FALSE,
  selectedTargets JSON NULL,
  selectedPlatforms JSON NULL,
  createdAt DATETIME(3) NULL,
  updatedAt DATETIME(3) NULL,
  CONSTRAINT unique_tenant_release_settings UNIQUE (tenantId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (setupCompletedByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_tenant_setup_status ON tenant_release_settings (tenantId, setupComplete);

CREATE TABLE tenant_scm_integrations (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  scmType ENUM('BITBUCKET', 'GITEA', 'GITHUB', 'GITLAB') NOT NULL,
  displayName VARCHAR(255) NOT NULL,
  organization VARCHAR(255) NOT NULL,
  repoName VARCHAR(255) NOT NULL,
  repositoryUrl VARCHAR(512) NOT NULL,
  defaultBranch VARCHAR(255) DEFAULT 'main',
  serverUrl VARCHAR(512) NULL,
  accessToken TEXT NOT NULL,                 -- encrypted
  refreshToken TEXT NULL,                    -- encrypted
  expiresAt DATETIME(3) NULL,
  lastSyncedAt DATETIME(3) NULL,
  verificationStatus ENUM('EXPIRED', 'INVALID', 'NOT_VERIFIED', 'VALID') NOT NULL DEFAULT 'NOT_VERIFIED',
  lastVerifiedAt DATETIME(3) NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NULL,
  updatedAt DATETIME(3) NULL,
  CONSTRAINT unique_tenant_scm UNIQUE (tenantId, scmType, organization),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_tenant_scm_active ON tenant_scm_integrations (tenantId, isActive);

CREATE INDEX idx_scm_verification ON tenant_scm_integrations (verificationStatus);

CREATE TABLE tenant_target_integrations (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  targetType ENUM('APP_STORE', 'FIREBASE', 'PLAY_STORE') NOT NULL,
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
  verificationStatus ENUM('EXPIRED', 'INVALID', 'NOT_VERIFIED', 'VALID') NOT NULL DEFAULT 'NOT_VERIFIED',
  lastVerifiedAt DATETIME(3) NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NULL,
  updatedAt DATETIME(3) NULL,
  CONSTRAINT unique_tenant_target UNIQUE (tenantId, targetType),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_tenant_target_active ON tenant_target_integrations (tenantId, isActive);

CREATE TABLE tenant_pipeline_integrations (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  pipelineType ENUM('CIRCLECI', 'GITHUB_ACTIONS', 'GITLAB_CI', 'JENKINS') NOT NULL,
  displayName VARCHAR(255) NOT NULL,
  description TEXT NULL,
  scmIntegrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  targetIntegrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  platform ENUM('ANDROID', 'IOS', 'WEB') NULL,
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
  environmentVariables JSON NULL,
  verificationStatus ENUM('EXPIRED', 'INVALID', 'NOT_VERIFIED', 'VALID') NOT NULL DEFAULT 'NOT_VERIFIED',
  lastVerifiedAt DATETIME(3) NULL,
  lastVerificationError TEXT NULL,
  lastTriggeredAt DATETIME(3) NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NULL,
  updatedAt DATETIME(3) NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (scmIntegrationId) REFERENCES tenant_scm_integrations (id) ON DELETE RESTRICT,
  FOREIGN KEY (targetIntegrationId) REFERENCES tenant_target_integrations (id) ON DELETE RESTRICT,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_tenant_pipeline ON tenant_pipeline_integrations (tenantId, isActive);

CREATE INDEX idx_pipeline_scm ON tenant_pipeline_integrations (scmIntegrationId);

CREATE INDEX idx_pipeline_target ON tenant_pipeline_integrations (targetIntegrationId);

CREATE TABLE tenant_communication_integrations (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  communicationType ENUM('EMAIL', 'SLACK', 'TEAMS') NOT NULL,
  displayName VARCHAR(255) NOT NULL,
  slackBotToken TEXT NULL,                   -- encrypted
  slackChannels JSON NULL,
  slackWebhookUrl TEXT NULL,                 -- encrypted
  emailRecipients JSON NULL,
  emailFromAddress VARCHAR(255) NULL,
  smtpHost VARCHAR(255) NULL,
  smtpPort INT NULL,
  smtpUsername VARCHAR(255) NULL,
  smtpPassword TEXT NULL,                    -- encrypted
  teamsWebhookUrl TEXT NULL,                 -- encrypted
  teamsChannelId VARCHAR(255) NULL,
  notifyOnEvents JSON NULL,
  verificationStatus ENUM('EXPIRED', 'INVALID', 'NOT_VERIFIED', 'VALID') NOT NULL DEFAULT 'NOT_VERIFIED',
  lastVerifiedAt DATETIME(3) NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NULL,
  updatedAt DATETIME(3) NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_tenant_communication ON tenant_communication_integrations (tenantId, isActive);

CREATE INDEX idx_communication_type ON tenant_communication_integrations (communicationType);

CREATE TABLE tenant_ticket_integrations (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  ticketSystemType ENUM('AZURE_DEVOPS', 'JIRA', 'LINEAR') NOT NULL,
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
  epicTemplate JSON NULL,
  verificationStatus ENUM('EXPIRED', 'INVALID', 'NOT_VERIFIED', 'VALID') NOT NULL DEFAULT 'NOT_VERIFIED',
  lastVerifiedAt DATETIME(3) NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NULL,
  updatedAt DATETIME(3) NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_tenant_ticket ON tenant_ticket_integrations (tenantId, isActive);

CREATE INDEX idx_ticket_type ON tenant_ticket_integrations (ticketSystemType);

CREATE TABLE tenant_test_management_integrations (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  testManagementType ENUM('TEST_RAIL') NOT NULL,
  displayName VARCHAR(255) NOT NULL,
  testRailUrl VARCHAR(512) NULL,
  testRailUsername VARCHAR(255) NULL,
  testRailApiKey TEXT NULL,                  -- encrypted
  testRailProjectId INT NULL,
  verificationStatus ENUM('EXPIRED', 'INVALID', 'NOT_VERIFIED', 'VALID') NOT NULL DEFAULT 'NOT_VERIFIED',
  lastVerifiedAt DATETIME(3) NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NULL,
  updatedAt DATETIME(3) NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_tenant_test_management ON tenant_test_management_integrations (tenantId, isActive);

CREATE TABLE tenant_code_signing_integrations (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  signingType ENUM('CODE_SIGNING') NOT NULL,
  displayName VARCHAR(255) NOT NULL,
  platform ENUM('ANDROID', 'IOS') NOT NULL,
  certificateFormat ENUM('PEM', 'PKCS12') NOT NULL,
  certificateData MEDIUMTEXT NOT NULL,       -- encrypted; up to 1 MiB of certificate
  certificatePassword TEXT NULL,             -- encrypted
  keyAlias VARCHAR(255) NULL,
  keyPassword TEXT NULL,                     -- encrypted
  certificateSubject VARCHAR(512) NULL,
  certificateFingerprint CHAR(64) NULL,
  certificateExpiresAt DATETIME(3) NULL,        -- drives EXPIRED
  verificationStatus ENUM('EXPIRED', 'INVALID', 'NOT_VERIFIED', 'VALID') NOT NULL DEFAULT 'NOT_VERIFIED',
  lastVerifiedAt DATETIME(3) NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NULL,
  updatedAt DATETIME(3) NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_tenant_code_signing ON tenant_code_signing_integrations (tenantId, isActive);

CREATE INDEX idx_code_signing_expiry ON tenant_code_signing_integrations (certificateExpiresAt);

-- The single-table shape of document 001, read-only, over the category tables, so
-- that the query patterns of document 000 run verbatim. Same columns, in the same
-- order, as the SQLite view; config holds the non-secret settings (times in
-- it formatted as the API writes them), credentials stay in their encrypted
-- columns. isRequired is 1/0, as BOOLEAN columns read on MySQL. SQL SECURITY
-- INVOKER: the view works whoever reads it, even where the account that
-- migrated is gone (a restored dump).
CREATE SQL SECURITY INVOKER VIEW tenant_integrations AS
SELECT id, tenantId, scmType AS integrationType, isActive AS isEnabled, 1 AS isRequired,
       JSON_OBJECT('organization', organization, 'repoName', repoName, 'repositoryUrl', repositoryUrl,
                   'defaultBranch', defaultBranch, 'serverUrl', serverUrl) AS config,
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_scm_integrations
UNION ALL
SELECT id, tenantId, targetType, isActive, 1,
       JSON_OBJECT('bundleId', appleBundleId, 'teamId', appleTeamId, 'serviceAccountEmail', googleServiceAccountEmail,
                   'packageName', googlePackageName, 'firebaseProjectId', firebaseProjectId, 'firebaseAppId', firebaseAppId),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_target_integrations
UNION ALL
SELECT id, tenantId, pipelineType, isActive, 0,
       JSON_OBJECT('scmIntegrationId', scmIntegrationId, 'targetIntegrationId', targetIntegrationId, 'platform', platform,
                   'url', jenkinsUrl, 'username', jenkinsUsername, 'jobPath', jenkinsJobPath,
                   'workflowPath', githubWorkflowPath, 'projectSlug', circleciProjectSlug),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_pipeline_integrations
UNION ALL
SELECT id, tenantId, communicationType, isActive, 0,
       JSON_OBJECT('channels', JSON_EXTRACT(slackChannels, '$'), 'recipients', JSON_EXTRACT(emailRecipients, '$'),
                   'notifyOnEvents', JSON_EXTRACT(notifyOnEvents, '$')),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_communication_integrations
UNION ALL
SELECT id, tenantId, ticketSystemType, isActive, 0,
       JSON_OBJECT('url', jiraUrl, 'projectKey', jiraProjectKey, 'teamId', linearTeamId, 'organization', azureOrganization,
                   'project', azureProject),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_ticket_integrations
UNION ALL
SELECT id, tenantId, testManagementType, isActive, 0,
       JSON_OBJECT('url', testRailUrl, 'projectId', testRailProjectId),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_test_management_integrations
UNION ALL
SELECT id, tenantId, signingType, isActive, 0,
       JSON_OBJECT('platform', platform, 'subject', certificateSubject,
                   'expiresAt', CONCAT(LEFT(DATE_FORMAT(certificateExpiresAt, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')),
       configuredByAccountId, lastVerifiedAt, verificationStatus, createdAt, updatedAt, displayName
  FROM tenant_code_signing_integrations;
