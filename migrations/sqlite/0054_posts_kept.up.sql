-- The storageBytes gauge (issue 19, docs/sites.md "Usage metering") sums a tenant's kept post bodies;
-- posts had no index by tenant. Partial: deleted posts are given back, so the sum skips them.
CREATE INDEX idx_posts_kept ON posts (tenantId) WHERE deletedAt IS NULL;
