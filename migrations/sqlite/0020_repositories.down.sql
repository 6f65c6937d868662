DROP TABLE profile_repository_pins;
DROP TABLE repositories;
ALTER TABLE tenant_scm_integrations DROP COLUMN lastSyncError;
ALTER TABLE tenant_scm_integrations DROP COLUMN syncStatus;
