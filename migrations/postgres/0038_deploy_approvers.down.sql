ALTER TABLE deployment_approvals DROP COLUMN role;
ALTER TABLE environments DROP COLUMN approverRoles;
