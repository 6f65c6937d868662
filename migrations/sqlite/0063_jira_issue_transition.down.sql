ALTER TABLE tenant_ticket_integrations DROP COLUMN issueTransition;
