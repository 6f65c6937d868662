-- Bugsnag's crash-free rates over the rule's window (docs/stores.md "Health-gated rollouts"): its API answers a
-- release's running counts only, so each reading's counts are kept and the rate is the difference between the
-- reading now and the one a window ago. One row a reading, pruned to the one the window starts at.
CREATE TABLE store_health_counts (
  submissionId CHAR(36) NOT NULL,
  tenantId CHAR(36) NOT NULL,
  readAt DATETIME NOT NULL,
  total INTEGER NOT NULL,
  bad INTEGER NOT NULL,
  PRIMARY KEY (submissionId, readAt),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (submissionId) REFERENCES store_submissions (id) ON DELETE CASCADE
);
CREATE INDEX idx_store_health_counts_tenant ON store_health_counts (tenantId, submissionId, readAt);
