-- Outbound webhooks, second slice (MySQL/MariaDB translation of migrations/sqlite/0023; docs/notifications.md).
ALTER TABLE webhook_endpoints ADD COLUMN previousSecret TEXT NULL;            -- encrypted
ALTER TABLE webhook_endpoints ADD COLUMN previousSecretUntil DATETIME(3) NULL;
