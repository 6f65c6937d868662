DROP INDEX IF EXISTS idx_pipeline_tenant_type_name;
DROP INDEX IF EXISTS idx_communication_tenant_type;
