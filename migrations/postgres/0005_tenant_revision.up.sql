-- The revision of a tenant: one more on every transaction that changes the
-- data of the tenant (tenant_tx bumps it, and that UPDATE is also the row lock
-- that orders the writes of one tenant). Reads of derived state (the setup
-- status) are cached per process and served while the revision they were
-- built at is still current, so a write by another process is seen at once.
ALTER TABLE tenants ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
