-- 0058 undone: the timeline's CHECKs as constant lists again (0010's text).
CREATE TABLE release_events_new (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  releaseId CHAR(36) NOT NULL REFERENCES releases (id) ON DELETE RESTRICT,
  kind VARCHAR(16) NOT NULL CHECK (kind IN ('ACTION', 'CALL', 'STATUS')),
  name VARCHAR(64) NOT NULL,                -- create, cancel, resolve-ref, create-branch, ...
  outcome VARCHAR(16) NULL CHECK (outcome IS NULL OR outcome IN ('FAILED', 'OK', 'RETRY')),
  fromStatus VARCHAR(16) NULL,
  toStatus VARCHAR(16) NULL,
  message TEXT NULL,
  details JSON NULL,
  actorAccountId VARCHAR(255) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt VARCHAR(24) NOT NULL
);
INSERT INTO release_events_new (id, tenantId, releaseId, kind, name, outcome, fromStatus, toStatus, message, details,
                                actorAccountId, createdAt)
SELECT id, tenantId, releaseId, kind, name, outcome, fromStatus, toStatus, message, details, actorAccountId, createdAt
FROM release_events;
DROP TABLE release_events;
ALTER TABLE release_events_new RENAME TO release_events;
CREATE INDEX idx_release_events_release ON release_events (releaseId, createdAt, id);
CREATE TRIGGER release_events_no_update BEFORE UPDATE ON release_events
BEGIN SELECT RAISE(ABORT, 'release_events is append-only'); END;
CREATE TRIGGER release_events_no_delete BEFORE DELETE ON release_events
BEGIN SELECT RAISE(ABORT, 'release_events is append-only'); END;
