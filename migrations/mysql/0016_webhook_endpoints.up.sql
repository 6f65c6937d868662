-- Outbound webhooks: MySQL/MariaDB translation of migrations/sqlite/0016 (issue 16, docs/notifications.md).
CREATE TABLE webhook_endpoints (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  url VARCHAR(2048) NOT NULL,
  events JSON NOT NULL,
  secret TEXT NOT NULL,                     -- encrypted
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  description VARCHAR(500) NULL,
  createdByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  secretRotatedAt DATETIME(3) NOT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (createdByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_webhook_endpoints_tenant ON webhook_endpoints (tenantId, createdAt, id);

CREATE TABLE endpoint_deliveries (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  endpointId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  eventId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  eventName VARCHAR(64) NOT NULL,
  status ENUM('DELIVERED', 'FAILED', 'PENDING', 'RETRYING') NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  responseCode INTEGER NULL,
  lastError TEXT NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_endpoint_deliveries UNIQUE (eventId, endpointId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (endpointId) REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  FOREIGN KEY (eventId) REFERENCES notification_events (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_endpoint_deliveries_page ON endpoint_deliveries (tenantId, createdAt, id);
