ALTER TABLE webhook_endpoints DROP COLUMN previousSecretUntil;
ALTER TABLE webhook_endpoints DROP COLUMN previousSecret;
