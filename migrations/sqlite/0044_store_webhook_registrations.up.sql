-- App Store Connect's webhook registered by slipway (issue 15, docs/stores.md
-- "App Store Connect's webhooks"): one row per store target whose webhook an
-- owner asked slipway to register with the store (POST /v1/webhooks).
-- storeWebhookId is the store's id of it (NULL: not registered); jobId the
-- registration's last job (an older job's outcome is not recorded over a
-- newer request's); lastError what the store or slipway said when it failed.
CREATE TABLE store_webhook_registrations (
  integrationId CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  status VARCHAR(16) NOT NULL CHECK (status IN ('REGISTERING', 'REGISTERED', 'UNREGISTERING', 'UNREGISTERED', 'FAILED')),
  storeWebhookId VARCHAR(255) NULL,
  jobId CHAR(36) NULL,
  requestedAt VARCHAR(24) NOT NULL,
  registeredAt VARCHAR(24) NULL,
  lastError VARCHAR(512) NULL
);
CREATE INDEX idx_store_webhook_registrations_tenant ON store_webhook_registrations (tenantId);
