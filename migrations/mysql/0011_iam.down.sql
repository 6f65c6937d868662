DROP TABLE IF EXISTS iam_login_states;
DROP TABLE IF EXISTS iam_group_mappings;
DROP TABLE IF EXISTS iam_user_mappings;
DROP TABLE IF EXISTS iam_providers;
