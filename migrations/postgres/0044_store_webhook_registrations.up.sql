-- App Store Connect's webhook registered by slipway: PostgreSQL (and CockroachDB) translation of migrations/sqlite/0044.
CREATE TABLE store_webhook_registrations (
  integrationId uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  status VARCHAR(16) NOT NULL CHECK (status IN ('REGISTERING', 'REGISTERED', 'UNREGISTERING', 'UNREGISTERED', 'FAILED')),
  storeWebhookId VARCHAR(255) NULL,
  jobId uuid NULL,
  requestedAt timestamptz NOT NULL,
  registeredAt timestamptz NULL,
  lastError VARCHAR(512) NULL
);

CREATE INDEX idx_store_webhook_registrations_tenant ON store_webhook_registrations (tenantId);
