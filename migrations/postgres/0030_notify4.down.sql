ALTER TABLE webhook_endpoints DROP COLUMN disabledReason;
ALTER TABLE webhook_endpoints DROP COLUMN disabledAt;
ALTER TABLE webhook_endpoints DROP COLUMN failingSince;
ALTER TABLE webhook_endpoints DROP COLUMN failureCount;
