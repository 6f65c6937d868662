-- Sites: MySQL/MariaDB translation of migrations/sqlite/0017 (issue 19, docs/sites.md).
-- MariaDB has no partial indexes: idx_posts_public covers deleted rows too,
-- and the queries' own deletedAt IS NULL filters them.
CREATE TABLE sites (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  slug VARCHAR(63) NOT NULL CHECK (CHAR_LENGTH(slug) BETWEEN 1 AND 63),
  name VARCHAR(200) NOT NULL,
  createdByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_sites_slug UNIQUE (slug),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (createdByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_sites_tenant ON sites (tenantId, createdAt, id);

CREATE TABLE site_settings (
  siteId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  title VARCHAR(200) NOT NULL,
  logoUrl VARCHAR(2048) NULL,
  accentColor CHAR(7) NOT NULL DEFAULT '#2563eb' CHECK (CHAR_LENGTH(accentColor) = 7),
  apps JSON NOT NULL DEFAULT '[]',
  platforms JSON NOT NULL DEFAULT '[]',
  footer VARCHAR(1000) NULL,
  draftsPreviewable BOOLEAN NOT NULL DEFAULT FALSE,
  autoPublishNotes BOOLEAN NOT NULL DEFAULT FALSE,
  updatedAt DATETIME(3) NOT NULL,
  FOREIGN KEY (siteId) REFERENCES sites (id) ON DELETE CASCADE,
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE domains (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  siteId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  hostName VARCHAR(253) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  status ENUM('PENDING', 'VERIFIED', 'FAILED') NOT NULL,
  challengeToken VARCHAR(64) NOT NULL,
  lastError VARCHAR(255) NULL,
  verifiedAt DATETIME(3) NULL,
  lastCheckedAt DATETIME(3) NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_domains_host UNIQUE (hostName),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (siteId) REFERENCES sites (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_domains_site ON domains (siteId, createdAt, id);

CREATE TABLE posts (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  siteId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  title VARCHAR(200) NOT NULL,
  slug VARCHAR(100) NOT NULL,
  body MEDIUMTEXT NOT NULL,
  status ENUM('DRAFT', 'SCHEDULED', 'PUBLISHED') NOT NULL,
  publishedAt DATETIME(3) NULL,
  releaseId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  createdByAccountId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NULL,
  createdAt DATETIME(3) NOT NULL,
  updatedAt DATETIME(3) NOT NULL,
  deletedAt DATETIME(3) NULL,
  CONSTRAINT unique_posts_slug UNIQUE (siteId, slug),
  CONSTRAINT check_posts_published CHECK (status = 'DRAFT' OR publishedAt IS NOT NULL),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE,
  FOREIGN KEY (siteId) REFERENCES sites (id) ON DELETE CASCADE,
  FOREIGN KEY (releaseId) REFERENCES releases (id) ON DELETE SET NULL,
  FOREIGN KEY (createdByAccountId) REFERENCES accounts (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_posts_public ON posts (siteId, publishedAt, id);
CREATE INDEX idx_posts_site ON posts (siteId, createdAt, id);

CREATE TABLE tenant_usage (
  id CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL PRIMARY KEY,
  tenantId CHAR(36) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  day CHAR(10) NOT NULL,
  metric ENUM('apiRequests', 'pageViews', 'postsPublished', 'domainChecks') NOT NULL,
  count BIGINT NOT NULL DEFAULT 0 CHECK (count >= 0),
  updatedAt DATETIME(3) NOT NULL,
  CONSTRAINT unique_tenant_usage UNIQUE (tenantId, day, metric),
  FOREIGN KEY (tenantId) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
