DROP TABLE IF EXISTS notification_mentions;
