-- Notifications (issue 16, docs/notifications.md "Fix versions"): an issue's
-- row in release_ticket_links is a claim, written before the provider call
-- by the link job that will make it (jobId), in one transaction: two jobs of
-- one release that overlap cannot both claim an issue, and the job finds its
-- claims again on a retry. NULL: recorded before 0041, after its call.
ALTER TABLE release_ticket_links ADD COLUMN jobId CHAR(36) NULL;
