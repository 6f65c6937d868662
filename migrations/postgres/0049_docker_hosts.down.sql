ALTER TABLE hosts DROP COLUMN engineVersion;
ALTER TABLE hosts DROP COLUMN dockerImage;
ALTER TABLE hosts DROP COLUMN dockerSocket;
