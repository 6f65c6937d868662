-- When each secret of an integration was last written, as a JSON object
-- (field name -> RFC 3339 time): an owner's mask of a key says "added on"
-- that day. NULL for rows written before this column (their masks say no date).
ALTER TABLE tenant_scm_integrations ADD COLUMN secretsSavedAt TEXT NULL;
ALTER TABLE tenant_target_integrations ADD COLUMN secretsSavedAt TEXT NULL;
ALTER TABLE tenant_pipeline_integrations ADD COLUMN secretsSavedAt TEXT NULL;
ALTER TABLE tenant_communication_integrations ADD COLUMN secretsSavedAt TEXT NULL;
ALTER TABLE tenant_ticket_integrations ADD COLUMN secretsSavedAt TEXT NULL;
ALTER TABLE tenant_test_management_integrations ADD COLUMN secretsSavedAt TEXT NULL;
ALTER TABLE tenant_code_signing_integrations ADD COLUMN secretsSavedAt TEXT NULL;
