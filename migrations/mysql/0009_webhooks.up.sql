-- Signed inbound webhooks: MySQL/MariaDB translation of migrations/sqlite/0009.

CREATE TABLE integration_webhooks (
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  category VARCHAR(32) NOT NULL,
  hookId VARCHAR(64) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  secret TEXT NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  rotatedAt DATETIME(3) NOT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE UNIQUE INDEX unique_integration_webhooks_hook ON integration_webhooks (hookId);

CREATE INDEX idx_integration_webhooks_tenant ON integration_webhooks (tenantId);

CREATE TABLE webhook_deliveries (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  deliveryId VARCHAR(255) NOT NULL,
  event VARCHAR(16) NOT NULL,
  runId VARCHAR(255) NULL,
  status VARCHAR(16) NULL,
  conclusion VARCHAR(16) NULL,
  ref VARCHAR(255) NULL,
  sha VARCHAR(64) NULL,
  url TEXT NULL,
  receivedAt DATETIME(3) NOT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE UNIQUE INDEX unique_webhook_deliveries ON webhook_deliveries (integrationId, deliveryId);

CREATE INDEX idx_webhook_deliveries_received ON webhook_deliveries (receivedAt);
