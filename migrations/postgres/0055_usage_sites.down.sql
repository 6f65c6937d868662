-- Back to one row per (tenant, day, metric): a day's sites are summed into its site-less row (made from
-- the group's first row where there is none), then the sites' rows go.
UPDATE tenant_usage t SET count = t.count + s.total FROM
  (SELECT tenantId, day, metric, SUM(count) AS total FROM tenant_usage WHERE siteId <> '' GROUP BY tenantId, day, metric) s
  WHERE t.siteId = '' AND t.tenantId = s.tenantId AND t.day = s.day AND t.metric = s.metric;
UPDATE tenant_usage t SET siteId = '', count = s.total FROM
  (SELECT tenantId, day, metric, SUM(count) AS total, MIN(id::text) AS first FROM tenant_usage GROUP BY tenantId, day, metric
   HAVING SUM(CASE WHEN siteId = '' THEN 1 ELSE 0 END) = 0) s
  WHERE t.id::text = s.first;
DELETE FROM tenant_usage WHERE siteId <> '';
ALTER TABLE tenant_usage DROP CONSTRAINT unique_tenant_usage;
ALTER TABLE tenant_usage ADD CONSTRAINT unique_tenant_usage UNIQUE (tenantId, day, metric);
ALTER TABLE tenant_usage DROP COLUMN siteId;
ALTER TABLE usage_events DROP COLUMN siteId;
