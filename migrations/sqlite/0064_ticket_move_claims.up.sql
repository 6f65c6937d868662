-- Notifications (issue 16, docs/notifications.md "Fix versions"): an issue's move through the
-- integration's issueTransition is claimed too, by the job that will make it (moveJobId), in one
-- transaction: the fix-versions job claims every issue not yet claimed when the version is released, and a
-- link job of a release already RELEASED claims the issues its edit added, so each issue moves once.
-- Rows of releases released before 0064 were moved (or not) by their fix-versions job: marked taken (by
-- their own id, which no job has).
ALTER TABLE release_ticket_links ADD COLUMN moveJobId CHAR(36) NULL;
UPDATE release_ticket_links SET moveJobId = id
 WHERE releaseId IN (SELECT id FROM releases WHERE status IN ('RELEASED', 'FINISHED'));
