-- Docker hosts (issue 17, docs/deployments.md "Docker hosts"): a host of
-- type docker is an SSH host whose Docker Engine slipway reaches through
-- the SSH connection (a direct-streamlocal channel to dockerSocket on the
-- host) and whose scripts run in containers of dockerImage.
-- engineVersion is what the Engine's /version answered at the last
-- successful connection test. All three are NULL on an ssh host.
ALTER TABLE hosts ADD COLUMN dockerSocket VARCHAR(255) NULL;
ALTER TABLE hosts ADD COLUMN dockerImage VARCHAR(255) NULL;
ALTER TABLE hosts ADD COLUMN engineVersion VARCHAR(64) NULL;
