-- Release tickets (issue 16, docs/notifications.md "Release tickets"): the issue a ticket integration opened for a
-- release, one per (release, integration), so a retry after a crash finds it instead of opening a second.
CREATE TABLE release_tickets (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  releaseId CHAR(36) NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
  integrationId VARCHAR(255) NOT NULL REFERENCES tenant_ticket_integrations (id) ON DELETE CASCADE,
  provider VARCHAR(32) NOT NULL,            -- JIRA, LINEAR
  ticketKey VARCHAR(255) NOT NULL,          -- Jira: REL-12; Linear: ENG-12
  url VARCHAR(2048) NOT NULL,
  status VARCHAR(16) NOT NULL,              -- OPEN, DONE
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_release_tickets UNIQUE (releaseId, integrationId)
);
CREATE INDEX release_tickets_tenant ON release_tickets (tenantId, releaseId);
