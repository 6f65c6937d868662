ALTER TABLE iam_domains DROP COLUMN lastError;
ALTER TABLE iam_domains DROP COLUMN lastCheckedAt;
ALTER TABLE iam_domains DROP COLUMN provenAt;
ALTER TABLE iam_domains DROP COLUMN challengeToken;
