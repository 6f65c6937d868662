-- Notifications: MySQL/MariaDB translation of migrations/sqlite/0012 (issue 16, docs/notifications.md).
CREATE TABLE notification_rules (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  eventPattern VARCHAR(128) NOT NULL,
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  channel VARCHAR(80) NULL,
  createdByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (integrationId) REFERENCES tenant_communication_integrations (id) ON DELETE CASCADE,
  FOREIGN KEY (createdByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_notification_rules_tenant ON notification_rules (tenantId, createdAt, id);

CREATE TABLE notification_events (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  name VARCHAR(64) NOT NULL,
  subjectType VARCHAR(16) NOT NULL,
  subjectId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  payload JSON NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_notification_events_subject ON notification_events (tenantId, subjectId, createdAt, id);

CREATE TABLE notification_deliveries (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  eventId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  ruleId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  channel VARCHAR(80) NULL,
  eventName VARCHAR(64) NOT NULL,
  subjectId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  status ENUM('DELIVERED', 'FAILED', 'PENDING', 'RETRYING', 'SKIPPED') NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lastError TEXT NULL,
  messageRef VARCHAR(255) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_notification_deliveries UNIQUE (eventId, ruleId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (eventId) REFERENCES notification_events (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_notification_deliveries_page ON notification_deliveries (tenantId, createdAt, id);
CREATE INDEX idx_notification_deliveries_thread ON notification_deliveries (ruleId, subjectId, createdAt, id);

CREATE TABLE notification_threads (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  channel VARCHAR(80) NOT NULL,
  subjectId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  channelRef VARCHAR(80) NOT NULL,
  messageRef VARCHAR(255) NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_notification_threads UNIQUE (integrationId, channel, subjectId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (integrationId) REFERENCES tenant_communication_integrations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
