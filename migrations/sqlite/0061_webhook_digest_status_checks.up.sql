-- Issue 14's build webhooks (docs/performance.md, "The build webhook: read in one pass, copies known by their bytes").
-- 1. A copy of a delivery is known before its body is read: by the delivery id where the provider sends it in a header
--    (GitHub, GitLab, Jenkins), else by bodyDigest, the HMAC signature the check found valid (the same signed bytes give
--    the same one; CircleCI and App Store Connect name a delivery inside the body only). The provider's id stays what
--    makes a delivery once (unique_webhook_deliveries); bodyDigest only spares a copy its read. Only the rows that have
--    one are indexed.
ALTER TABLE webhook_deliveries ADD COLUMN bodyDigest CHAR(64) NULL;
CREATE INDEX idx_webhook_deliveries_digest ON webhook_deliveries (integrationId, bodyDigest) WHERE bodyDigest IS NOT NULL;
