-- App Store Connect's webhook registered by slipway: MySQL/MariaDB translation of migrations/sqlite/0044.
CREATE TABLE store_webhook_registrations (
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  status ENUM('REGISTERING', 'REGISTERED', 'UNREGISTERING', 'UNREGISTERED', 'FAILED') NOT NULL,
  storeWebhookId VARCHAR(255) NULL,
  jobId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  requestedAt DATETIME(3) NOT NULL,
  registeredAt DATETIME(3) NULL,
  lastError VARCHAR(512) NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX idx_store_webhook_registrations_tenant ON store_webhook_registrations (tenantId);
