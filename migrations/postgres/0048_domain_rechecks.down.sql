ALTER TABLE iam_domains DROP COLUMN failingSince;
ALTER TABLE iam_domains DROP COLUMN failures;
ALTER TABLE domains DROP COLUMN failingSince;
ALTER TABLE domains DROP COLUMN failures;
ALTER TABLE domains DROP COLUMN proofMethod;
