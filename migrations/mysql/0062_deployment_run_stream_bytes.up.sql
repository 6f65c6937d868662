-- A docker step's output stored so far, in bytes of each stream (its lines' bytes with their newlines), written
-- with the lines in one transaction: a follow of the container after a restart skips them, so no line is stored
-- twice (docs/deployments.md "Docker hosts").
ALTER TABLE deployment_runs ADD COLUMN stdoutBytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deployment_runs ADD COLUMN stderrBytes BIGINT NOT NULL DEFAULT 0;
