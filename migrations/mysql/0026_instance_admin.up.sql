-- The instance administrator and disabled accounts (issue 18, docs/accounts.md):
-- the first account administers the instance (every tenant, creating one
-- with its first owner, disabling accounts); a disabled account can neither
-- log in nor keep a live token.
ALTER TABLE accounts ADD COLUMN instanceAdmin BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN disabledAt DATETIME(3) NULL;
UPDATE accounts SET instanceAdmin = TRUE WHERE id = (SELECT id FROM (SELECT id FROM accounts ORDER BY createdAt, id LIMIT 1) AS first);
