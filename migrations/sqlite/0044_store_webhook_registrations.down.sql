DROP TABLE IF EXISTS store_webhook_registrations;
