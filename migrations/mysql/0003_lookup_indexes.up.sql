-- Indexes for the lookups setup makes on every save: the integration of a tenant
-- of a type (communication), and a pipeline by type and name. Without them
-- these scan the rows of the type of every tenant.
CREATE INDEX idx_communication_tenant_type ON tenant_communication_integrations (tenantId, communicationType, createdAt);

CREATE INDEX idx_pipeline_tenant_type_name ON tenant_pipeline_integrations (tenantId, pipelineType, displayName);
