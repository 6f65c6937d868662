-- Outbound webhooks (issue 16, docs/notifications.md): the endpoints a
-- tenant has slipway post its events to, signed the Standard Webhooks way
-- with a secret of each endpoint's, and one delivery per (event, endpoint).
CREATE TABLE webhook_endpoints (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  url VARCHAR(2048) NOT NULL,               -- https only; called through the outbound SSRF guard
  events JSON NOT NULL,                     -- event patterns: "*", a catalogue name, or "release.*"
  secret TEXT NOT NULL,                     -- "whsec_<base64>", encrypted (crypto/secret.h)
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  description VARCHAR(500) NULL,
  createdByAccountId VARCHAR(255) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  secretRotatedAt VARCHAR(24) NOT NULL
);
CREATE INDEX idx_webhook_endpoints_tenant ON webhook_endpoints (tenantId, createdAt, id);

CREATE TABLE endpoint_deliveries (
  id CHAR(36) NOT NULL PRIMARY KEY,         -- the webhook-id header: the same on every attempt
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  endpointId CHAR(36) NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  eventId CHAR(36) NOT NULL REFERENCES notification_events (id) ON DELETE CASCADE,
  eventName VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL CHECK (status IN ('DELIVERED', 'FAILED', 'PENDING', 'RETRYING')),
  attempts INTEGER NOT NULL DEFAULT 0,
  responseCode INTEGER NULL,                -- the endpoint's last HTTP status; NULL when it did not answer
  lastError TEXT NULL,                      -- never a secret, never the URL
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_endpoint_deliveries UNIQUE (eventId, endpointId)
);
CREATE INDEX idx_endpoint_deliveries_page ON endpoint_deliveries (tenantId, createdAt, id);
