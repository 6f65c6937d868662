-- Docker hosts: the MySQL/MariaDB translation of migrations/sqlite/0049.
ALTER TABLE hosts ADD COLUMN dockerSocket VARCHAR(255) NULL;
ALTER TABLE hosts ADD COLUMN dockerImage VARCHAR(255) NULL;
ALTER TABLE hosts ADD COLUMN engineVersion VARCHAR(64) NULL;
