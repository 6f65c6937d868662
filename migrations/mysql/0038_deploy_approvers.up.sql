-- MySQL/MariaDB translation of migrations/sqlite/0038.
-- Deployments, part 4 (issue 17, docs/deployments.md "Environments"): the
-- roles whose members may approve a deployment to a protected environment
-- (approverRoles: a comma-separated set of owner and editor, both by
-- default as before), and the role an approval was given under, so the
-- audit trail says which rule it met; an approval stays one per account
-- whatever role its account holds later.
ALTER TABLE environments ADD COLUMN approverRoles VARCHAR(32) NOT NULL DEFAULT 'editor,owner';
ALTER TABLE deployment_approvals ADD COLUMN role VARCHAR(16) NULL; -- the approver's role when approving; NULL before 0038
