-- 0061 undone.
DROP INDEX idx_webhook_deliveries_digest ON webhook_deliveries;
ALTER TABLE webhook_deliveries DROP COLUMN bodyDigest;
