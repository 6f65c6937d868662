-- The foreign key on tenantId needs an index: the one MariaDB made for it comes back first.
ALTER TABLE posts ADD INDEX tenantId (tenantId), DROP INDEX idx_posts_kept;
