DROP TABLE IF EXISTS tenant_limits;
DROP TABLE IF EXISTS usage_events;
DELETE FROM tenant_usage WHERE metric NOT IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks');
ALTER TABLE tenant_usage MODIFY metric ENUM('apiRequests', 'pageViews', 'postsPublished', 'domainChecks') NOT NULL;
