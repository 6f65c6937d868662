DROP INDEX unique_releases_idempotency;
ALTER TABLE releases DROP COLUMN idempotencyKey;
DROP INDEX unique_releases_train_slot;
ALTER TABLE releases DROP COLUMN trainSlot;
