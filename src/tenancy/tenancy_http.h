/*
 * tenancy_http.h: the HTTP handlers and body schemas of the tenancy domain
 * (auth, tokens, tenants, members, invitations, audit). src/routes.c wires them.
 */
#ifndef SLIPWAY_TENANCY_HTTP_H
#define SLIPWAY_TENANCY_HTTP_H

#include "http/router.h"
#include "tenancy/roles.h"

extern const struct schema login_schema, token_create_schema, tenant_create_schema, tenant_update_schema, member_update_schema,
    invitation_create_schema, invitation_accept_schema;

/* "owner", "editor", "viewer", NULL: the roles a member may have. */
extern const char *const member_roles[];

/* {accountId, email, name, role, createdAt}. Caller owns. */
json_t *member_json(const char *account_id, const char *email, const char *name, const char *role, const char *created_at);

enum err_code auth_login(struct request *req, struct err *err);
enum err_code auth_logout(struct request *req, struct err *err);
enum err_code me_get(struct request *req, struct err *err);

enum err_code tokens_list(struct request *req, struct err *err);
enum err_code tokens_create(struct request *req, struct err *err);
enum err_code tokens_revoke(struct request *req, struct err *err);

enum err_code tenants_post(struct request *req, struct err *err);
enum err_code tenants_list(struct request *req, struct err *err);
enum err_code tenant_get(struct request *req, struct err *err);
enum err_code tenant_patch(struct request *req, struct err *err);
enum err_code tenant_delete(struct request *req, struct err *err);

enum err_code members_list(struct request *req, struct err *err);
enum err_code member_patch(struct request *req, struct err *err);
enum err_code member_delete(struct request *req, struct err *err);

enum err_code members_invite(struct request *req, struct err *err);
enum err_code invitations_list(struct request *req, struct err *err);
enum err_code invitation_revoke(struct request *req, struct err *err);
enum err_code invitation_accept(struct request *req, struct err *err);

enum err_code audit_list(struct request *req, struct err *err);
enum err_code audit_stream(struct request *req, struct err *err);
enum err_code audit_mine(struct request *req, struct err *err);

#endif
