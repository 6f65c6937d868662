DROP TABLE IF EXISTS endpoint_deliveries;
DROP TABLE IF EXISTS webhook_endpoints;
