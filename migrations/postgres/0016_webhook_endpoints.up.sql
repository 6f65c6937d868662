-- Outbound webhooks (PostgreSQL translation of migrations/sqlite/0016; issue 16, docs/notifications.md).
CREATE TABLE webhook_endpoints (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  url VARCHAR(2048) NOT NULL,
  events jsonb NOT NULL,
  secret TEXT NOT NULL,                     -- encrypted
  enabled BOOLEAN NOT NULL DEFAULT TRUE,
  description VARCHAR(500) NULL,
  createdByAccountId uuid NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  secretRotatedAt timestamptz NOT NULL
);
CREATE INDEX idx_webhook_endpoints_tenant ON webhook_endpoints (tenantId, createdAt, id);

CREATE TABLE endpoint_deliveries (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  endpointId uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  eventId uuid NOT NULL REFERENCES notification_events (id) ON DELETE CASCADE,
  eventName VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL CHECK (status IN ('DELIVERED', 'FAILED', 'PENDING', 'RETRYING')),
  attempts INTEGER NOT NULL DEFAULT 0,
  responseCode INTEGER NULL,
  lastError TEXT NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_endpoint_deliveries UNIQUE (eventId, endpointId)
);
CREATE INDEX idx_endpoint_deliveries_page ON endpoint_deliveries (tenantId, createdAt, id);
