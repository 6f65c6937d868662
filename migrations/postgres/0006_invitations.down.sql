DROP TABLE IF EXISTS tenant_invitations;
