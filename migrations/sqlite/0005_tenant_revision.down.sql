ALTER TABLE tenants DROP COLUMN revision;
