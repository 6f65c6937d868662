-- Notifications (PostgreSQL translation of migrations/sqlite/0012; issue 16, docs/events.md, docs/notifications.md): the
-- events slipway emitted (an outbox written in the same transaction as the
-- change), a tenant's rules (event pattern -> communication integration and
-- channel), one delivery per (event, rule), and the chat thread each
-- subject (a release) has in each channel.
CREATE TABLE notification_rules (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  eventPattern VARCHAR(128) NOT NULL,       -- "*", a catalogue name, or "release.*"
  integrationId uuid NOT NULL REFERENCES tenant_communication_integrations (id) ON DELETE CASCADE,
  channel VARCHAR(80) NULL,                 -- Slack: the channel name or id; Teams and e-mail: NULL
  createdByAccountId uuid NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL
);
CREATE INDEX idx_notification_rules_tenant ON notification_rules (tenantId, createdAt, id);

CREATE TABLE notification_events (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name VARCHAR(64) NOT NULL,                -- the catalogue's dotted name
  subjectType VARCHAR(16) NOT NULL,         -- release, build
  subjectId uuid NOT NULL,
  payload jsonb NOT NULL,
  createdAt timestamptz NOT NULL
);
CREATE INDEX idx_notification_events_subject ON notification_events (tenantId, subjectId, createdAt, id);

CREATE TABLE notification_deliveries (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  eventId uuid NOT NULL REFERENCES notification_events (id) ON DELETE CASCADE,
  ruleId uuid NOT NULL,                 -- no reference: the log outlives a deleted rule
  integrationId uuid NOT NULL,
  channel VARCHAR(80) NULL,
  eventName VARCHAR(64) NOT NULL,
  subjectId uuid NOT NULL,
  status VARCHAR(16) NOT NULL CHECK (status IN ('DELIVERED', 'FAILED', 'PENDING', 'RETRYING', 'SKIPPED')),
  attempts INTEGER NOT NULL DEFAULT 0,
  lastError TEXT NULL,
  messageRef VARCHAR(255) NULL,             -- the provider's id of what was posted (Slack: the ts)
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_notification_deliveries UNIQUE (eventId, ruleId)
);
CREATE INDEX idx_notification_deliveries_page ON notification_deliveries (tenantId, createdAt, id);
CREATE INDEX idx_notification_deliveries_thread ON notification_deliveries (ruleId, subjectId, createdAt, id);

CREATE TABLE notification_threads (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  integrationId uuid NOT NULL REFERENCES tenant_communication_integrations (id) ON DELETE CASCADE,
  channel VARCHAR(80) NOT NULL,
  subjectId uuid NOT NULL,
  channelRef VARCHAR(80) NOT NULL,          -- the provider's id of the channel the root went to
  messageRef VARCHAR(255) NOT NULL,         -- the root message (Slack: its ts)
  createdAt timestamptz NOT NULL,
  CONSTRAINT unique_notification_threads UNIQUE (integrationId, channel, subjectId)
);
