DROP TABLE IF EXISTS tenant_limits;
DROP TABLE IF EXISTS usage_events;
DELETE FROM tenant_usage WHERE metric NOT IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks');
ALTER TABLE tenant_usage DROP CONSTRAINT tenant_usage_metric_check;
ALTER TABLE tenant_usage ADD CONSTRAINT tenant_usage_metric_check CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks'));
