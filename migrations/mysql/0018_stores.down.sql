DROP TABLE IF EXISTS store_submissions;
