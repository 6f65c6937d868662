-- Proven domains re-checked (issue 18 for SSO e-mail domains, issue 19 for
-- site domains; docs/sites.md "Re-checking proven domains"): a recurring
-- sweep proves each one again. failures counts the checks in a row that did
-- not find the proof, failingSince is when the first of them ran (NULL: the
-- last check found it); the proof is lost only after several over a day.
-- proofMethod is how a site domain was proven (http or dns): its re-check
-- asks the same way. NULL for a domain proven before this migration: http.
ALTER TABLE domains ADD COLUMN proofMethod VARCHAR(8) NULL;
ALTER TABLE domains ADD COLUMN failures INT NOT NULL DEFAULT 0;
ALTER TABLE domains ADD COLUMN failingSince VARCHAR(24) NULL;
ALTER TABLE iam_domains ADD COLUMN failures INT NOT NULL DEFAULT 0;
ALTER TABLE iam_domains ADD COLUMN failingSince VARCHAR(24) NULL;
