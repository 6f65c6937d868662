UPDATE releases SET status = 'READY' WHERE status = 'RELEASED';
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql, '''READY'', ''REGRESSION'', ''RELEASED'')', '''READY'', ''REGRESSION'')')
  WHERE type = 'table' AND name = 'releases';
PRAGMA writable_schema = OFF;
ALTER TABLE release_configs DROP COLUMN rolloutPlans;
