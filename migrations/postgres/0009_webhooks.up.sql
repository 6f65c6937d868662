-- Signed inbound webhooks: PostgreSQL (and CockroachDB) translation of migrations/sqlite/0009.

CREATE TABLE integration_webhooks (
  integrationId uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  category VARCHAR(32) NOT NULL,
  hookId VARCHAR(64) NOT NULL,
  secret TEXT NOT NULL,
  createdAt timestamptz NOT NULL,
  rotatedAt timestamptz NOT NULL
);

CREATE UNIQUE INDEX unique_integration_webhooks_hook ON integration_webhooks (hookId);

CREATE INDEX idx_integration_webhooks_tenant ON integration_webhooks (tenantId);

CREATE TABLE webhook_deliveries (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  integrationId uuid NOT NULL,
  deliveryId VARCHAR(255) NOT NULL,
  event VARCHAR(16) NOT NULL,
  runId VARCHAR(255) NULL,
  status VARCHAR(16) NULL,
  conclusion VARCHAR(16) NULL,
  ref VARCHAR(255) NULL,
  sha VARCHAR(64) NULL,
  url TEXT NULL,
  receivedAt timestamptz NOT NULL
);

CREATE UNIQUE INDEX unique_webhook_deliveries ON webhook_deliveries (integrationId, deliveryId);

CREATE INDEX idx_webhook_deliveries_received ON webhook_deliveries (receivedAt);
