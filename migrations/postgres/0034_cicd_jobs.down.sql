DROP TABLE deployment_cicd_mappings;
DROP TABLE cicd_jobs;
ALTER TABLE tenant_pipeline_integrations DROP COLUMN lastDiscoveryError;
ALTER TABLE tenant_pipeline_integrations DROP COLUMN lastDiscoveredAt;
ALTER TABLE tenant_pipeline_integrations DROP COLUMN discoveryStatus;
