-- Release tickets (PostgreSQL translation of migrations/sqlite/0027; docs/notifications.md).
CREATE TABLE release_tickets (
  id uuid NOT NULL PRIMARY KEY,
  tenantId uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  integrationId uuid NOT NULL REFERENCES tenant_ticket_integrations (id) ON DELETE CASCADE,
  provider VARCHAR(32) NOT NULL,
  ticketKey VARCHAR(255) NOT NULL,
  url VARCHAR(2048) NOT NULL,
  status VARCHAR(16) NOT NULL,
  createdAt timestamptz NOT NULL,
  updatedAt timestamptz NOT NULL,
  CONSTRAINT unique_release_tickets UNIQUE (releaseId, integrationId)
);
CREATE INDEX release_tickets_tenant ON release_tickets (tenantId, releaseId);
