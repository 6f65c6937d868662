-- Health-gated rollouts (issue 15, docs/stores.md "Health-gated rollouts").
-- The monitoring category (src/providers/monitoring: SENTRY, BUGSNAG), a
-- typed table like every category's.
CREATE TABLE tenant_monitoring_integrations (
  id uuid PRIMARY KEY,
  tenantId uuid NOT NULL,
  monitoringType VARCHAR(16) NOT NULL CHECK (monitoringType IN ('SENTRY', 'BUGSNAG')),
  displayName VARCHAR(255) NOT NULL,
  sentryUrl VARCHAR(512) NULL,
  sentryOrganization VARCHAR(255) NULL,
  sentryProject VARCHAR(255) NULL,
  sentryAuthToken TEXT NULL,                 -- encrypted
  bugsnagUrl VARCHAR(512) NULL,
  bugsnagProjectId VARCHAR(255) NULL,
  bugsnagAuthToken TEXT NULL,                -- encrypted
  verificationStatus VARCHAR(16) NOT NULL DEFAULT 'NOT_VERIFIED'
    CHECK (verificationStatus IN ('NOT_VERIFIED', 'VALID', 'INVALID', 'EXPIRED')),
  lastVerifiedAt timestamptz NULL,
  lastVerificationError TEXT NULL,
  isActive BOOLEAN NOT NULL DEFAULT TRUE,
  configuredByAccountId uuid NOT NULL,
  createdAt timestamptz NULL,
  updatedAt timestamptz NULL,
  secretsSavedAt TEXT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (configuredByAccountId) REFERENCES accounts (id) ON DELETE RESTRICT
);
CREATE INDEX idx_tenant_monitoring ON tenant_monitoring_integrations (tenantId, isActive);

-- A submission's health rule: {"monitoringIntegrationId", "metric"
-- (crashFreeSessions, crashFreeUsers), "threshold" (a percentage),
-- "windowMinutes"}; NULL: none.
ALTER TABLE store_submissions ADD COLUMN healthRule jsonb NULL;

-- The latest health reading of each submission with a rule: the figure in
-- thousandths of a percent (NULL: none yet, or the provider did not answer:
-- error says why), since when it has been below the threshold (NULL: it is
-- not), when it was read.
CREATE TABLE store_health (
  submissionId uuid PRIMARY KEY,
  tenantId uuid NOT NULL,
  releaseId uuid NOT NULL,
  valueMilli INTEGER NULL,
  breachSince timestamptz NULL,
  checkedAt timestamptz NULL,
  error TEXT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (submissionId) REFERENCES store_submissions (id) ON DELETE CASCADE
);
CREATE INDEX idx_store_health_release ON store_health (tenantId, releaseId);
