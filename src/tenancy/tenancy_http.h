/*
 * tenancy_http.h: the HTTP handlers and body schemas of the tenancy domain
 * (auth, tokens, tenants, members, invitations, audit). src/routes.c wires them.
 */
#ifndef SLIPWAY_TENANCY_HTTP_H
#define SLIPWAY_TENANCY_HTTP_H

#include "crypto/token.h"
#include "http/router.h"
#include "tenancy/roles.h"

extern const struct schema login_schema, token_create_schema, tenant_create_schema, tenant_update_schema, member_update_schema,
    invitation_create_schema, invitation_accept_schema, admin_tenant_create_schema, admin_account_update_schema, signup_schema,
    password_change_schema, password_reset_schema, password_reset_confirm_schema, totp_enrol_schema, totp_confirm_schema,
    totp_disable_schema;

/* "owner", "editor", "viewer", NULL: the roles a member may have. */
extern const char *const member_roles[];

/* {accountId, email, name, role, createdAt}. Caller owns. */
json_t *member_json(const char *account_id, const char *email, const char *name, const char *role, const char *created_at);

enum err_code auth_login(struct request *req, struct err *err);
enum err_code auth_signup(struct request *req, struct err *err);
/* GET /api/v1/auth/options: {signup, passwordReset}, what the login page offers (docs/accounts.md). */
enum err_code auth_options(struct request *req, struct err *err);
enum err_code me_password_change(struct request *req, struct err *err);
/* A forgotten password, reset by mail (reset_http.c). */
enum err_code auth_password_reset(struct request *req, struct err *err);
enum err_code auth_password_reset_confirm(struct request *req, struct err *err);
/* The TOTP second factor (totp_http.c). */
enum err_code me_totp_get(struct request *req, struct err *err);
enum err_code me_totp_enrol(struct request *req, struct err *err);
enum err_code me_totp_confirm(struct request *req, struct err *err);
enum err_code me_totp_disable(struct request *req, struct err *err);
/*
 * Inside a password login's transaction: ERR_OK when the account has no
 * confirmed second factor, or body's totpCode (accepted once) or
 * recoveryCode (used up) is right; ERR_TOTP_REQUIRED without either;
 * ERR_BAD_CREDENTIALS for a wrong one.
 */
enum err_code totp_login_check(struct store_conn *c, const char *account, const json_t *body, struct err *err);
/* The client address that limits count by: IPv4 (also when mapped into IPv6), or the IPv6 /64. */
void auth_client_key(const char *ip, char *out, size_t n);
/* The key of the login backoff: this client address and an e-mail address (normalized, whole: 254 characters of up to 4 bytes). */
#define AUTH_BACKOFF_KEY_SIZE (EMAIL_SIZE + 64)
void auth_backoff_key(const struct request *req, const char *email, char out[AUTH_BACKOFF_KEY_SIZE]);
/* ERR_RATE_LIMITED (with retry_after) when (client address, email) spent its login backoff; else counts this attempt. */
enum err_code auth_backoff_check(const struct request *req, const char *email, struct err *err);
/* A login's answer {tokenId, expiresAt, account, token | csrfToken}: the token in cookies when the body asks ("cookie"). */
struct issued_token;
struct account;
json_t *auth_session_answer(struct request *req, const struct issued_token *token, const struct account *a);
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

/* An invitation to tenant for email with role, by req's caller: the filled-in fields are the answer's. */
struct invite_tx {
    const struct request *req;
    const char *tenant, *role;
    char email[EMAIL_SIZE];
    char id[UUID_SIZE], created_at[TIMESTAMP_SIZE], expires_at[TIMESTAMP_SIZE];
    char token[INVITE_SIZE]; /* the secret: the caller shows it once, then wipes it */
};
/* Inside a transaction: revokes the address's pending invitation to the tenant, inserts the new one, audits member.invite. */
enum err_code invitation_issue(struct store_conn *c, struct invite_tx *t, struct err *err);
/*
 * The answer {invitationId, email, role, expiresAt, delivery, inviteToken?}:
 * delivery "email" when the instance mails the link (the token is not in
 * the answer then), else "token" with the token, for the owner to hand over.
 */
json_t *invitation_created_json(const struct invite_tx *t);

/* A pending invitation (not accepted, revoked or expired; of a live tenant). */
struct invitation_ref {
    char id[UUID_SIZE], tenant_id[UUID_SIZE], email[EMAIL_SIZE], role[16];
};
/* The pending invitation with this token (as the link carries it), into out: ERR_NOT_FOUND, saying nothing more, for any other. */
enum err_code invitation_pending(struct store_conn *c, const char *token, struct invitation_ref *out, struct err *err);
/* The same, by the invitation's id in tenant. */
enum err_code invitation_pending_id(struct store_conn *c, const char *tenant, const char *id, struct invitation_ref *out,
                                    struct err *err);
/* Inside a transaction: marks inv used by account, once (ERR_NOT_FOUND when it is no longer pending). Joining is the caller's. */
enum err_code invitation_use(struct store_conn *c, const struct invitation_ref *inv, const char *account, struct err *err);

/* The instance administrator's routes (ACCESS_ADMIN; admin_http.c). */
enum err_code admin_tenants_list(struct request *req, struct err *err);
enum err_code admin_tenant_create(struct request *req, struct err *err);
enum err_code admin_accounts_list(struct request *req, struct err *err);
enum err_code admin_account_patch(struct request *req, struct err *err);

enum err_code audit_list(struct request *req, struct err *err);
enum err_code audit_stream(struct request *req, struct err *err);
enum err_code audit_mine(struct request *req, struct err *err);

#endif
