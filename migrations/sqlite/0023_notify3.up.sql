-- Outbound webhooks, second slice (issue 16, docs/notifications.md): a
-- rotated secret that keeps signing until previousSecretUntil, beside the
-- new one (two signatures in webhook-signature during the overlap).
ALTER TABLE webhook_endpoints ADD COLUMN previousSecret TEXT NULL;            -- encrypted (crypto/secret.h), column previousSecret
ALTER TABLE webhook_endpoints ADD COLUMN previousSecretUntil VARCHAR(24) NULL;
