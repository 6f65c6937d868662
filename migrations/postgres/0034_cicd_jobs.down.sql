DROP TABLE deployment_cicd_mappings;
DROP TABLE cicd_jobs;
