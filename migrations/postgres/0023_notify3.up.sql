-- Outbound webhooks, second slice (PostgreSQL translation of migrations/sqlite/0023; docs/notifications.md).
ALTER TABLE webhook_endpoints ADD COLUMN previousSecret TEXT NULL;            -- encrypted
ALTER TABLE webhook_endpoints ADD COLUMN previousSecretUntil timestamptz NULL;
