DROP INDEX idx_release_builds_run;
