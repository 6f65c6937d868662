ALTER TABLE deployment_runs DROP COLUMN stderrBytes;
ALTER TABLE deployment_runs DROP COLUMN stdoutBytes;
