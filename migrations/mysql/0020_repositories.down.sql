DROP TABLE IF EXISTS profile_repository_pins;
DROP TABLE IF EXISTS repositories;
ALTER TABLE tenant_scm_integrations DROP COLUMN lastSyncError;
ALTER TABLE tenant_scm_integrations DROP COLUMN syncStatus;
