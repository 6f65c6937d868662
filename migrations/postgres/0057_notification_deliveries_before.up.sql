-- A delivery's step finds the unfinished delivery just before it in its thread (src/notify/notify.c,
-- delivery_before): the same subject, integration and status, the nearest createdAt. Without this index the
-- look-up walked the tenant's deliveries by time, a row read for each, and most often found none: at 10,000
-- events (30,000 deliveries) that walk was most of a delivery's cost. The subject first: on MySQL an index that
-- starts with a foreign key's column becomes that key's, and could not be dropped.
CREATE INDEX idx_notification_deliveries_before ON notification_deliveries (subjectId, integrationId, status, createdAt, id);
