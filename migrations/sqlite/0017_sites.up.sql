-- Sites (document 004's platform; issue 19, docs/sites.md): a tenant's
-- public release-notes sites, their custom domains, their posts (Markdown,
-- soft deleted through deletedAt), their settings, and usage per tenant
-- and day. A customer of document 004 is a tenant.
CREATE TABLE sites (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  slug VARCHAR(63) NOT NULL CHECK (LENGTH(slug) BETWEEN 1 AND 63),  -- the public path /s/{slug}/
  name VARCHAR(200) NOT NULL,
  createdByAccountId CHAR(36) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_sites_slug UNIQUE (slug)
);
CREATE INDEX idx_sites_tenant ON sites (tenantId, createdAt, id);

CREATE TABLE site_settings (
  siteId CHAR(36) NOT NULL PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  title VARCHAR(200) NOT NULL,
  logoUrl VARCHAR(2048) NULL,
  accentColor CHAR(7) NOT NULL DEFAULT '#2563eb' CHECK (LENGTH(accentColor) = 7),  -- #rrggbb
  apps JSON NOT NULL DEFAULT '[]',          -- JSON array of app names shown; empty: all
  platforms JSON NOT NULL DEFAULT '[]',     -- JSON array of platforms shown; empty: all
  footer VARCHAR(1000) NULL,
  draftsPreviewable BOOLEAN NOT NULL DEFAULT FALSE,
  autoPublishNotes BOOLEAN NOT NULL DEFAULT FALSE,
  updatedAt VARCHAR(24) NOT NULL
);

CREATE TABLE domains (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  siteId CHAR(36) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  hostName VARCHAR(253) NOT NULL,           -- lower case, no port
  status VARCHAR(16) NOT NULL CHECK (status IN ('PENDING', 'VERIFIED', 'FAILED')),
  challengeToken VARCHAR(64) NOT NULL,
  lastError VARCHAR(255) NULL,
  verifiedAt VARCHAR(24) NULL,
  lastCheckedAt VARCHAR(24) NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_domains_host UNIQUE (hostName)
);
CREATE INDEX idx_domains_site ON domains (siteId, createdAt, id);

CREATE TABLE posts (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  siteId CHAR(36) NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
  title VARCHAR(200) NOT NULL,
  slug VARCHAR(100) NOT NULL,
  body TEXT NOT NULL,                       -- Markdown (CommonMark), raw HTML not rendered
  status VARCHAR(16) NOT NULL CHECK (status IN ('DRAFT', 'SCHEDULED', 'PUBLISHED')),
  publishedAt VARCHAR(24) NULL,             -- when it appears; set unless a draft
  releaseId CHAR(36) NULL REFERENCES releases (id) ON DELETE SET NULL,
  createdByAccountId CHAR(36) NULL REFERENCES accounts (id) ON DELETE SET NULL,
  createdAt VARCHAR(24) NOT NULL,
  updatedAt VARCHAR(24) NOT NULL,
  deletedAt VARCHAR(24) NULL,               -- soft delete
  CONSTRAINT unique_posts_slug UNIQUE (siteId, slug),
  CONSTRAINT check_posts_published CHECK (status = 'DRAFT' OR publishedAt IS NOT NULL)
);
CREATE INDEX idx_posts_public ON posts (siteId, publishedAt, id) WHERE deletedAt IS NULL;
CREATE INDEX idx_posts_site ON posts (siteId, createdAt, id);

CREATE TABLE tenant_usage (
  id CHAR(36) NOT NULL PRIMARY KEY,
  tenantId CHAR(36) NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  day CHAR(10) NOT NULL,                    -- YYYY-MM-DD, UTC
  metric VARCHAR(32) NOT NULL CHECK (metric IN ('apiRequests', 'pageViews', 'postsPublished', 'domainChecks')),
  count BIGINT NOT NULL DEFAULT 0 CHECK (count >= 0),
  updatedAt VARCHAR(24) NOT NULL,
  CONSTRAINT unique_tenant_usage UNIQUE (tenantId, day, metric)
);
