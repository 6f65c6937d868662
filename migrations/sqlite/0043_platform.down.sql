DELETE FROM tenant_usage WHERE metric = 'storageBytes';
DELETE FROM usage_events WHERE metric = 'storageBytes';
DELETE FROM tenant_limits WHERE metric = 'storageBytes';

-- SQLite cannot change a CHECK in place: the three tables are made again.
CREATE TABLE tenant_usage_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day CHAR(10) NOT NULL,                    -- YYYY-MM-DD, UTC
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent')),
  count BIGINT NOT NULL DEFAULT 0 CHECK (count >= 0),
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_tenant_usage UNIQUE (tenantId, day, metric)
);
INSERT INTO tenant_usage_new (id, tenantId, day, metric, count, updatedAt)
  SELECT id, tenantId, day, metric, count, updatedAt FROM tenant_usage;
DROP TABLE tenant_usage;
ALTER TABLE tenant_usage_new RENAME TO tenant_usage;

CREATE TABLE usage_events_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day CHAR(10) NOT NULL,                    -- YYYY-MM-DD, UTC: the day the counts were made
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent')),
  count BIGINT NOT NULL CHECK (count > 0),
  createdAt VARCHAR(24) NOT NULL
);
INSERT INTO usage_events_new (id, tenantId, day, metric, count, createdAt)
  SELECT id, tenantId, day, metric, count, createdAt FROM usage_events;
DROP TABLE usage_events;
ALTER TABLE usage_events_new RENAME TO usage_events;
CREATE INDEX idx_usage_events_rollup ON usage_events (createdAt, id);
CREATE INDEX idx_usage_events_tenant ON usage_events (tenantId, day);

CREATE TABLE tenant_limits_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks', 'releasesCreated', 'buildsTriggered', 'deploymentsStarted', 'deploymentMinutes', 'notificationsSent')),
  period VARCHAR(8) NOT NULL CHECK (period IN ('day', 'month')),
  max BIGINT NOT NULL CHECK (max >= 0),
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_tenant_limits UNIQUE (tenantId, metric, period)
);
INSERT INTO tenant_limits_new (id, tenantId, metric, period, max, updatedAt)
  SELECT id, tenantId, metric, period, max, updatedAt FROM tenant_limits;
DROP TABLE tenant_limits;
ALTER TABLE tenant_limits_new RENAME TO tenant_limits;
ALTER TABLE iam_domains DROP COLUMN lastError;
ALTER TABLE iam_domains DROP COLUMN lastCheckedAt;
ALTER TABLE iam_domains DROP COLUMN provenAt;
ALTER TABLE iam_domains DROP COLUMN challengeToken;
