-- Signed inbound webhooks (docs/api.md, "Webhooks"; docs/internals/router.md, "Route classes").
-- integration_webhooks: one per SCM or pipeline integration that takes them.
-- hookId is the unguessable part of its URL (POST /hooks/v1/{hookId}: 192
-- random bits, base64url); secret is the signing secret slipway made,
-- encrypted like integration credentials and bound to this table, column
-- and integration. category says which typed table integrationId is in.
-- webhook_deliveries: every delivery accepted, once: the provider's own id of
-- it is unique per integration, so a replay is recognised and applied once.
-- The normalised event is kept beside it. Pruned by the webhook-prune job.

CREATE TABLE integration_webhooks (
  integrationId CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  category VARCHAR(32) NOT NULL,
  hookId VARCHAR(64) NOT NULL,
  secret TEXT NOT NULL,
  createdAt VARCHAR(24) NOT NULL,
  rotatedAt VARCHAR(24) NOT NULL
);
CREATE UNIQUE INDEX unique_integration_webhooks_hook ON integration_webhooks (hookId);
CREATE INDEX idx_integration_webhooks_tenant ON integration_webhooks (tenantId);

CREATE TABLE webhook_deliveries (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  integrationId CHAR(36) NOT NULL,
  deliveryId VARCHAR(255) NOT NULL,
  event VARCHAR(16) NOT NULL,
  runId VARCHAR(255) NULL,
  status VARCHAR(16) NULL,
  conclusion VARCHAR(16) NULL,
  ref VARCHAR(255) NULL,
  sha VARCHAR(64) NULL,
  url TEXT NULL,
  receivedAt VARCHAR(24) NOT NULL
);
CREATE UNIQUE INDEX unique_webhook_deliveries ON webhook_deliveries (integrationId, deliveryId);
CREATE INDEX idx_webhook_deliveries_received ON webhook_deliveries (receivedAt);
