DROP INDEX idx_posts_kept;
