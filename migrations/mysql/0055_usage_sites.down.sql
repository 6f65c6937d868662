-- Back to one row per (tenant, day, metric): a day's sites are summed into its site-less row (made from
-- the group's first row where there is none), then the sites' rows go.
UPDATE tenant_usage t JOIN
  (SELECT tenantId, day, metric, SUM(count) AS total FROM tenant_usage WHERE siteId <> '' GROUP BY tenantId, day, metric) s
  ON t.tenantId = s.tenantId AND t.day = s.day AND t.metric = s.metric
  SET t.count = t.count + s.total WHERE t.siteId = '';
UPDATE tenant_usage t JOIN
  (SELECT MIN(id) AS first, SUM(count) AS total FROM tenant_usage GROUP BY tenantId, day, metric
   HAVING SUM(CASE WHEN siteId = '' THEN 1 ELSE 0 END) = 0) s
  ON t.id = s.first
  SET t.siteId = '', t.count = s.total;
DELETE FROM tenant_usage WHERE siteId <> '';
ALTER TABLE tenant_usage DROP INDEX unique_tenant_usage, ADD CONSTRAINT unique_tenant_usage UNIQUE (tenantId, day, metric),
  DROP COLUMN siteId;
ALTER TABLE usage_events DROP COLUMN siteId;
