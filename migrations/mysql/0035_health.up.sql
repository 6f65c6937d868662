-- Health-gated rollouts (issue 15, docs/stores.md "Health-gated rollouts").
-- The monitoring category (src/providers/monitoring: SENTRY, BUGSNAG), a
-- typed table like every category's.
CREATE TABLE tenant_monitoring_integrations (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  monitoringType ENUM('BUGSNAG', 'SENTRY') NOT NULL,
  displayName VARCHAR(255) NOT NULL,
  sentryUrl VARCHAR(512) NULL,
  sentryOrganization VARCHAR(255) NULL,
  sentryProject VARCHAR(255) NULL,
  sentryAuthToken TEXT NULL,                 -- encrypted
  bugsnagUrl VARCHAR(512) NULL,
  bugsnagProjectId VARCHAR(255) NULL,
  bugsnagAuthToken TEXT NULL,                -- encrypted
  verificationStatus ENUM('EXPIRED', 'INVALID', 'NOT_VERIFIED', 'VALID') NOT NULL DEFAULT 'NOT_VERIFIED',
  lastVerifiedAt DATETIME(3) NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  createdAt DATETIME(3) NULL,
  updatedAt DATETIME(3) NULL,
  secretsSavedAt TEXT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_tenant_monitoring ON tenant_monitoring_integrations (tenantId, isActive);

-- A submission's health rule: {"monitoringIntegrationId", "metric"
-- (crashFreeSessions, crashFreeUsers), "threshold" (a percentage),
-- "windowMinutes"}; NULL: none.
ALTER TABLE store_submissions ADD COLUMN healthRule JSON NULL;

-- The latest health reading of each submission with a rule: the figure in
-- thousandths of a percent (NULL: none yet, or the provider did not answer:
-- error says why), since when it has been below the threshold (NULL: it is
-- not), when it was read.
CREATE TABLE store_health (
  submissionId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  releaseId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  valueMilli INTEGER NULL,
  breachSince DATETIME(3) NULL,
  checkedAt DATETIME(3) NULL,
  error TEXT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (submissionId) REFERENCES store_submissions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_store_health_release ON store_health (tenantId, releaseId);
