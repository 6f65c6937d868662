-- The storageBytes gauge (issue 19, docs/sites.md "Usage metering") sums a tenant's kept post bodies.
-- MariaDB has no partial indexes (the sum skips deleted posts by reading them) and indexed posts by tenant
-- already, implicitly, for the foreign key: this index takes that one's place, as on the other databases.
CREATE INDEX idx_posts_kept ON posts (tenantId);
