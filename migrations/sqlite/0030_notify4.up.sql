-- Outbound webhooks, third slice (issue 16, docs/notifications.md): an
-- endpoint that keeps failing is disabled. failureCount counts its failed
-- attempts in a row since failingSince (a 2xx sets both back); disabledAt
-- and disabledReason say when and why slipway turned it off (NULL when an
-- owner did, or it is on).
ALTER TABLE webhook_endpoints ADD COLUMN failureCount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN failingSince VARCHAR(24) NULL;
ALTER TABLE webhook_endpoints ADD COLUMN disabledAt VARCHAR(24) NULL;
ALTER TABLE webhook_endpoints ADD COLUMN disabledReason VARCHAR(500) NULL;
