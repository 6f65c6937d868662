-- PostgreSQL translation of migrations/sqlite/0051.
-- Notifications (issue 16, docs/notifications.md "Approvers mentioned in
-- Slack"): the chat user an e-mail address is at, per communication
-- integration (Slack: users.lookupByEmail's user id), kept for a while so a
-- message that mentions an approver does not ask again each time. userRef
-- NULL: the provider knows no one of that address (kept for less long).
-- email is the account's, lower-cased as accounts keep it.
CREATE TABLE notification_mentions (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  integrationId uuid NOT NULL REFERENCES tenant_communication_integrations (id) ON DELETE CASCADE,
  email VARCHAR(254) NOT NULL,
  userRef VARCHAR(64) NULL,
  resolvedAt timestamptz NOT NULL,
  CONSTRAINT unique_notification_mentions UNIQUE (integrationId, email)
);
CREATE INDEX notification_mentions_tenant ON notification_mentions (tenantId, integrationId);
