DROP TABLE release_ticket_links;
ALTER TABLE release_configs DROP COLUMN minTestPassRate;
ALTER TABLE tenant_test_management_integrations DROP COLUMN testRailSuiteId;
DROP TABLE release_test_runs;
