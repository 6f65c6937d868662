DROP INDEX unique_releases_idempotency ON releases;
ALTER TABLE releases DROP COLUMN idempotencyKey;
DROP INDEX unique_releases_train_slot ON releases;
ALTER TABLE releases DROP COLUMN trainSlot;
