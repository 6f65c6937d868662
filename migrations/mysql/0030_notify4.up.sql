-- Outbound webhooks, third slice (MySQL/MariaDB translation of migrations/sqlite/0030; docs/notifications.md).
ALTER TABLE webhook_endpoints ADD COLUMN failureCount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_endpoints ADD COLUMN failingSince DATETIME(3) NULL;
ALTER TABLE webhook_endpoints ADD COLUMN disabledAt DATETIME(3) NULL;
ALTER TABLE webhook_endpoints ADD COLUMN disabledReason VARCHAR(500) NULL;
