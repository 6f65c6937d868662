-- Undoes 0035_health.up.sql.
DROP TABLE store_health;
ALTER TABLE store_submissions DROP COLUMN healthRule;
DROP TABLE tenant_monitoring_integrations;
