DROP TABLE IF EXISTS webhook_deliveries;
DROP TABLE IF EXISTS integration_webhooks;
