DROP TABLE IF EXISTS deployment_logs;
DROP TABLE IF EXISTS deployments;
DROP TABLE IF EXISTS deployment_scripts;
DROP TABLE IF EXISTS hosts;
