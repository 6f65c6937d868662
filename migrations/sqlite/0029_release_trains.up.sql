-- Release trains and kickoff from CI (issue 14, docs/releases.md "Scheduled trains", "Starting a release from CI").
-- The slot of the train that made the release (NULL: made by a person or a token): one release a slot, whatever
-- fires it twice.
ALTER TABLE releases ADD COLUMN trainSlot VARCHAR(24) NULL;
CREATE UNIQUE INDEX unique_releases_train_slot ON releases (tenantId, trainSlot);

-- The Idempotency-Key the release was created with: the same key answers the same release for 24 hours.
ALTER TABLE releases ADD COLUMN idempotencyKey VARCHAR(200) NULL;
CREATE UNIQUE INDEX unique_releases_idempotency ON releases (tenantId, idempotencyKey);
