-- Issue 14's build webhooks: PostgreSQL translation of migrations/sqlite/0061, which says why.
-- 1. A copy of a delivery known by its signature's digest before its body is read; only the rows with one indexed.
ALTER TABLE webhook_deliveries ADD COLUMN bodyDigest CHAR(64) NULL;
CREATE INDEX idx_webhook_deliveries_digest ON webhook_deliveries (integrationId, bodyDigest) WHERE bodyDigest IS NOT NULL;
-- 2. migrations/sqlite/0061 also writes the status CHECKs of releases, release_builds and jobs as comparisons (SQLite
--    builds a temporary b-tree for a constant IN list at every write). This database compares a list directly:
--    nothing to change.
