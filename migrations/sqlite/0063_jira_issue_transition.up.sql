-- Jira's optional issueTransition (issue 16): the transition each issue the release notes name takes when the
-- release's fix version is marked released (docs/notifications.md "Fix versions"); NULL: none.
ALTER TABLE tenant_ticket_integrations ADD COLUMN issueTransition VARCHAR(255) NULL;
