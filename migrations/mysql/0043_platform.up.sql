-- MySQL/MariaDB translation of migrations/sqlite/0043: An SSO e-mail domain proven by DNS (issue 18, docs/sso.md "Finding the
-- sign-on"): a login page offers a provider for a work e-mail's domain only
-- once the owner has published TXT _slipway-sso.{domain} = challengeToken.
-- Claims from before this migration have no token until claimed again.
ALTER TABLE iam_domains ADD COLUMN challengeToken VARCHAR(64) NULL;  -- random, 32 bytes base64url
ALTER TABLE iam_domains ADD COLUMN provenAt DATETIME(3) NULL;        -- NULL: not proven (never, or lost at a check)
ALTER TABLE iam_domains ADD COLUMN lastCheckedAt DATETIME(3) NULL;
ALTER TABLE iam_domains ADD COLUMN lastError VARCHAR(255) NULL;

-- Storage as a usage metric (issue 19, docs/sites.md "Usage metering"): the metric lists take storageBytes.
ALTER TABLE tenant_usage MODIFY metric ENUM('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent', 'storageBytes') NOT NULL;
ALTER TABLE usage_events MODIFY metric ENUM('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent', 'storageBytes') NOT NULL;
ALTER TABLE tenant_limits MODIFY metric ENUM('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent', 'storageBytes') NOT NULL;
