-- TestFlight and Firebase App Distribution (issue 15, docs/stores.md): the
-- testers a submission's build goes to, {"groups": [names], "emails": [addresses]}
-- (TestFlight beta group names; Firebase group aliases and tester e-mails).
ALTER TABLE store_submissions ADD COLUMN testers JSON NULL;
