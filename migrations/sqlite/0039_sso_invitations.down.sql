ALTER TABLE iam_login_states DROP COLUMN invitationId;
