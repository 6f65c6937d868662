-- 0061 undone.
DROP INDEX IF EXISTS idx_webhook_deliveries_digest;
ALTER TABLE webhook_deliveries DROP COLUMN bodyDigest;
