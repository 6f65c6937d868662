-- Release tickets (MySQL/MariaDB translation of migrations/sqlite/0027; docs/notifications.md).
CREATE TABLE release_tickets (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  releaseId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  provider VARCHAR(32) NOT NULL,
  ticketKey VARCHAR(255) NOT NULL,
  url VARCHAR(2048) NOT NULL,
  status VARCHAR(16) NOT NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_release_tickets UNIQUE (releaseId, integrationId),
  KEY release_tickets_tenant (tenantId, releaseId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (releaseId) REFERENCES releases (id) ON DELETE CASCADE,
  FOREIGN KEY (integrationId) REFERENCES tenant_ticket_integrations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
