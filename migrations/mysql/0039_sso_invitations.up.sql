-- MySQL/MariaDB translation of migrations/sqlite/0039: An invitation accepted through the tenant's single sign-on (issue 18,
-- docs/sso.md "Invitations through single sign-on"): the login started from
-- the invitation link remembers which invitation it accepts until its callback.
ALTER TABLE iam_login_states ADD COLUMN invitationId CHAR(36) NULL;   -- the invitation the login accepts, if any
