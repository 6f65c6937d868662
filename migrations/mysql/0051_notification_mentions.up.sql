-- MySQL/MariaDB translation of migrations/sqlite/0051.
-- Notifications (issue 16, docs/notifications.md "Approvers mentioned in
-- Slack"): the chat user an e-mail address is at, per communication
-- integration (Slack: users.lookupByEmail's user id), kept for a while so a
-- message that mentions an approver does not ask again each time. userRef
-- NULL: the provider knows no one of that address (kept for less long).
-- email is the account's, lower-cased as accounts keep it.
CREATE TABLE notification_mentions (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  integrationId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  email VARCHAR(254) NOT NULL,
  userRef VARCHAR(64) NULL,
  resolvedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_notification_mentions UNIQUE (integrationId, email),
  KEY notification_mentions_tenant (tenantId, integrationId),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (integrationId) REFERENCES tenant_communication_integrations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
