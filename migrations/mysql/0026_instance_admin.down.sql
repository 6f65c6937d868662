ALTER TABLE accounts DROP COLUMN disabledAt;
ALTER TABLE accounts DROP COLUMN instanceAdmin;
