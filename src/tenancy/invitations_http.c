/*
 * invitations_http.c: joining a tenant by invitation.
 *
 * An owner invites an e-mail address with a role (POST .../members). The
 * answer is the same whatever the address, with the invitation's token
 * shown once: it does not tell whether an account has the address, and
 * nobody is placed in a tenant they did not accept. The token (slwi_...,
 * 256 random bits) is stored as its SHA-256 only, as API tokens are, and is
 * never logged or audited. A tenant has at most one pending invitation per
 * address: a new one revokes the old. Invitations expire after 7 days.
 *
 * The invitee accepts (POST /api/v1/invitations/accept, a public route):
 * logged in (bearer or session), as the account that has the invited
 * address; or, when no account has it, without a login, which creates the
 * account with the password the invitee chose. Either way the account, the
 * membership, the invitation's acceptedAt (so it is used once) and the
 * audit row are one transaction: a failed accept changes nothing. An
 * unknown, used, revoked or expired token, or one of a deleted tenant, all
 * get the same 404.
 *
 * A tenant makes at most SLIPWAY_INVITE_RATE invitations in any hour
 * (replaced and revoked ones count): more is 429 with Retry-After, counted
 * in the tenant's transaction so that concurrent invites and several
 * processes share one limit.
 */
#include "core/clock.h"
#include "core/rand.h"
#include "crypto/token.h"
#include "http/page.h"
#include "tenancy/account_mail.h"
#include "tenancy/accounts.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy.h"
#include "tenancy/tenancy_http.h"
#include "tenancy/tenants.h"

#define INVITATION_TTL_MS (7LL * 86400 * 1000)
#define INVITATION_WINDOW_MS (3600LL * 1000)
#define INVITATION_INVALID "this invitation is not valid: it may have been used or revoked, or have expired; ask for a new one"

SCHEMA(
    invitation_create_schema,
    {.name = "email", .kind = FIELD_STRING, .required = true, .min = 3, .max = EMAIL_MAX, .check = check_email, .format = "email"},
    {.name = "role", .kind = FIELD_STRING, .required = true, .allowed = member_roles});
SCHEMA(invitation_accept_schema, {.name = "token", .kind = FIELD_STRING, .required = true, .min = 1, .max = 128},
       {.name = "password", .kind = FIELD_STRING, .min = 8, .max = 1024},
       {.name = "name", .kind = FIELD_STRING, .min = 1, .max = ACCOUNT_NAME_MAX, .check = check_printable});

/* ---- inviting ---- */

/* ERR_RATE_LIMITED (with retry_after) when the tenant made SLIPWAY_INVITE_RATE invitations in the hour before now. */
static enum err_code refuse_too_many(struct store_conn *c, const char *tenant, int64_t now, struct err *err)
{
    char since[TIMESTAMP_SIZE];
    struct store_stmt *st;
    int64_t count = 0, oldest = now, limit = tenancy()->invite_rate;

    clock_format(now - INVITATION_WINDOW_MS, since);
    if (store_int(c, "SELECT COUNT(*) FROM tenant_invitations WHERE tenantId = ? AND createdAt > ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TIME(since)), &count, err))
        return err->code;
    if (count < limit)
        return ERR_OK;
    if (store_select(c, "SELECT MIN(createdAt) FROM tenant_invitations WHERE tenantId = ? AND createdAt > ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TIME(since)), &st, err))
        return err->code;
    if (store_next(st, err) == 1 && !store_col_null(st, 0))
        clock_parse(store_col_text(st, 0), &oldest);
    store_finish(st);
    if (err->code)
        return err->code;
    err->retry_after = (int)((oldest + INVITATION_WINDOW_MS - now) / 1000) + 1;
    return err_set(err, ERR_RATE_LIMITED, "this tenant made %d invitations in the last hour; try again in %d seconds", (int)limit,
                   err->retry_after);
}

static enum err_code refuse_a_member(struct store_conn *c, const char *tenant, const char *email, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c,
                     "SELECT m.accountId FROM tenant_members m JOIN accounts a ON a.id = m.accountId "
                     "WHERE m.tenantId = ? AND a.email = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(email)), &st, err))
        return err->code;
    rc = store_next(st, err);
    store_finish(st);
    if (rc < 0)
        return err->code;
    /* Only the tenant's owners see this, and they see its member list anyway. */
    return rc == 1 ? err_set(err, ERR_CONFLICT, "%s is already a member of this tenant", email) : ERR_OK;
}

enum err_code invitation_issue(struct store_conn *c, struct invite_tx *t, struct err *err)
{
    const char *tenant = t->tenant;
    char hash[SHA256_HEX_SIZE];
    int64_t now = clock_now_ms(), replaced = 0;
    json_t *details;
    enum err_code rc;

    if (refuse_a_member(c, tenant, t->email, err) || refuse_too_many(c, tenant, now, err))
        return err->code;
    clock_format(now, t->created_at);
    clock_format(now + INVITATION_TTL_MS, t->expires_at);
    if (store_run(c,
                  "UPDATE tenant_invitations SET revokedAt = ? "
                  "WHERE tenantId = ? AND email = ? AND acceptedAt IS NULL AND revokedAt IS NULL",
                  STORE_ARGS(STORE_TIME(t->created_at), STORE_TEXT(tenant), STORE_TEXT(t->email)), &replaced, err))
        return err->code;
    rand_uuid(t->id);
    invite_token_generate(t->token);
    token_hash(t->token, hash);
    if (store_run(c,
                  "INSERT INTO tenant_invitations (id, tenantId, email, role, tokenHash, invitedByAccountId, createdAt, expiresAt) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(tenant), STORE_TEXT(t->email), STORE_TEXT(t->role), STORE_TEXT(hash),
                             STORE_TEXT(principal_of(t->req)->account_id), STORE_TIME(t->created_at), STORE_TIME(t->expires_at)),
                  NULL, err))
        return err->code;
    if (account_mail_on() && account_mail_enqueue_in(c, ACCOUNT_MAIL_INVITATION, tenant, t->id, err))
        return err->code;
    details = json_pack("{s:s, s:s, s:b}", "email", t->email, "role", t->role, "replacedPending", replaced > 0);
    rc = audit_write(
        c, t->req,
        &(struct audit_event){
            .tenant_id = tenant, .action = "member.invite", .target_type = "invitation", .target_id = t->id, .details = details},
        err);
    json_decref(details);
    return rc;
}

json_t *invitation_created_json(const struct invite_tx *t)
{
    json_t *answer = json_pack("{s:s, s:s, s:s, s:s, s:s}", "invitationId", t->id, "email", t->email, "role", t->role, "expiresAt",
                               t->expires_at, "delivery", account_mail_on() ? "email" : "token");

    if (!account_mail_on()) /* mailed, the token is made as the mail goes (account_mail.h) and only the invitee sees it */
        json_object_set_new(answer, "inviteToken", json_string(t->token));
    return answer;
}

static enum err_code invite_body(struct store_conn *c, void *ctx, struct err *err)
{
    return invitation_issue(c, ctx, err);
}

enum err_code members_invite(struct request *req, struct err *err)
{
    struct invite_tx t = {
        .req = req, .tenant = principal_of(req)->tenant_id, .role = json_string_value(json_object_get(req->body, "role"))};
    struct store_conn *db;

    account_email_normalize(json_string_value(json_object_get(req->body, "email")), t.email, sizeof t.email);
    if (request_db(req, &db, err) == ERR_OK && tenant_tx(db, principal_of(req)->tenant_id, invite_body, &t, err) == ERR_OK) {
        account_mail_nudge();
        response_json(req, 201, invitation_created_json(&t));
    }
    hash_cleanse(t.token, sizeof t.token);
    return err->code;
}

/* ---- the pending ones, and revoking one ---- */

static json_t *invitation_row(struct store_stmt *st)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", store_col_text(st, 0), "email", store_col_text(st, 1), "role",
                     store_col_text(st, 2), "invitedByAccountId", store_col_text(st, 3), "createdAt", store_col_text(st, 4),
                     "expiresAt", store_col_text(st, 5));
}

enum err_code invitations_list(struct request *req, struct err *err)
{
    char now[TIMESTAMP_SIZE];
    struct page p;

    if (page_parse(req, &p, err))
        return err->code;
    clock_now(now);
    return page_respond(req, &p,
                        "SELECT id, email, role, invitedByAccountId, createdAt, expiresAt FROM tenant_invitations "
                        "WHERE tenantId = ? AND acceptedAt IS NULL AND revokedAt IS NULL AND expiresAt > ? "
                        "AND (createdAt <= ? AND (createdAt < ? OR id < ?)) ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TIME(now), PAGE_ARGS(&p)), 4, 0, invitation_row,
                        err);
}

static enum err_code revoke_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct request *req = ctx;
    const char *tenant = principal_of(req)->tenant_id, *id = request_param(req, "id");
    char now[TIMESTAMP_SIZE], email[EMAIL_SIZE] = "", role[16] = "";
    bool accepted = false, revoked = false;
    struct store_stmt *st;
    json_t *details;
    enum err_code rc;
    int found;

    if (store_select(c, "SELECT email, role, acceptedAt, revokedAt FROM tenant_invitations WHERE id = ? AND tenantId = ?",
                     STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant)), &st, err))
        return err->code;
    found = store_next(st, err);
    if (found == 1) {
        utf8_copy(email, sizeof email, store_col_text(st, 0));
        utf8_copy(role, sizeof role, store_col_text(st, 1));
        accepted = !store_col_null(st, 2);
        revoked = !store_col_null(st, 3);
    }
    store_finish(st);
    if (found < 0)
        return err->code;
    if (found == 0)
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (accepted)
        return err_set(err, ERR_CONFLICT, "this invitation was accepted: remove the member instead");
    if (revoked)
        return ERR_OK; /* revoking twice changes nothing */
    clock_now(now);
    if (store_run(c, "UPDATE tenant_invitations SET revokedAt = ? WHERE id = ? AND tenantId = ?",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(id), STORE_TEXT(tenant)), NULL, err))
        return err->code;
    details = json_pack("{s:s, s:s}", "email", email, "role", role);
    rc = audit_write(c, req,
                     &(struct audit_event){.tenant_id = tenant,
                                           .action = "member.invite.revoke",
                                           .target_type = "invitation",
                                           .target_id = id,
                                           .details = details},
                     err);
    json_decref(details);
    return rc;
}

enum err_code invitation_revoke(struct request *req, struct err *err)
{
    struct store_conn *db;

    if (request_db(req, &db, err) || tenant_tx(db, principal_of(req)->tenant_id, revoke_body, req, err))
        return err->code;
    response_empty(req, 204);
    return ERR_OK;
}

/* ---- accepting ---- */

struct accept_tx {
    const struct request *req;
    struct invitation_ref inv;
    /* who joins: the caller, or an account made now (create) */
    struct account account;
    bool create;
    char joined_at[TIMESTAMP_SIZE];
};

/*
 * The pending invitation whose token hash is key (tenant NULL), or whose id
 * is key in tenant, into out; ERR_NOT_FOUND for none.
 */
static enum err_code pending_select(struct store_conn *c, const char *key, const char *tenant, struct invitation_ref *out,
                                    struct err *err)
{
    char now[TIMESTAMP_SIZE];
    struct store_stmt *st;
    int rc;

    clock_now(now);
    if (tenant ? store_select(c,
                              "SELECT i.id, i.tenantId, i.email, i.role FROM tenant_invitations i JOIN tenants tn ON tn.id = "
                              "i.tenantId WHERE i.id = ? AND i.tenantId = ? AND i.acceptedAt IS NULL AND i.revokedAt IS NULL "
                              "AND i.expiresAt > ? AND tn.deletedAt IS NULL",
                              STORE_ARGS(STORE_TEXT(key), STORE_TEXT(tenant), STORE_TIME(now)), &st, err)
               : store_select(c,
                              "SELECT i.id, i.tenantId, i.email, i.role FROM tenant_invitations i JOIN tenants tn ON tn.id = "
                              "i.tenantId WHERE i.tokenHash = ? AND i.acceptedAt IS NULL AND i.revokedAt IS NULL "
                              "AND i.expiresAt > ? AND tn.deletedAt IS NULL",
                              STORE_ARGS(STORE_TEXT(key), STORE_TIME(now)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        utf8_copy(out->id, sizeof out->id, store_col_text(st, 0));
        utf8_copy(out->tenant_id, sizeof out->tenant_id, store_col_text(st, 1));
        utf8_copy(out->email, sizeof out->email, store_col_text(st, 2));
        utf8_copy(out->role, sizeof out->role, store_col_text(st, 3));
    }
    store_finish(st);
    if (rc < 0)
        return err->code;
    return rc == 1 ? ERR_OK : err_set(err, ERR_NOT_FOUND, INVITATION_INVALID);
}

enum err_code invitation_pending(struct store_conn *c, const char *token, struct invitation_ref *out, struct err *err)
{
    char hash[SHA256_HEX_SIZE];

    if (!invite_token_well_formed(token))
        return err_set(err, ERR_NOT_FOUND, INVITATION_INVALID);
    token_hash(token, hash);
    return pending_select(c, hash, NULL, out, err);
}

enum err_code invitation_pending_id(struct store_conn *c, const char *tenant, const char *id, struct invitation_ref *out,
                                    struct err *err)
{
    return pending_select(c, id, tenant, out, err);
}

enum err_code invitation_use(struct store_conn *c, const struct invitation_ref *inv, const char *account, struct err *err)
{
    char now[TIMESTAMP_SIZE];
    int64_t taken = 0;

    clock_now(now);
    /* Used once: of two accepts at the same moment, one marks it and the other finds it taken. */
    if (store_run(
            c,
            "UPDATE tenant_invitations SET acceptedAt = ?, acceptedByAccountId = ? "
            "WHERE id = ? AND tenantId = ? AND acceptedAt IS NULL AND revokedAt IS NULL AND expiresAt > ?",
            STORE_ARGS(STORE_TIME(now), STORE_TEXT(account), STORE_TEXT(inv->id), STORE_TEXT(inv->tenant_id), STORE_TIME(now)),
            &taken, err))
        return err->code;
    return taken == 1 ? ERR_OK : err_set(err, ERR_NOT_FOUND, INVITATION_INVALID);
}

static enum err_code join_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct accept_tx *t = ctx;
    json_t *details;
    enum err_code rc;

    if (t->create && accounts_insert(c, &t->account, err)) {
        if (err->code == ERR_CONFLICT) /* an account with the address came first */
            return err_set(err, ERR_CONFLICT, "an account has this e-mail address: log in as it, then accept the invitation");
        return err->code;
    }
    clock_now(t->joined_at);
    if (invitation_use(c, &t->inv, t->account.id, err))
        return err->code;
    if (store_run(c, "INSERT INTO tenant_members (tenantId, accountId, role, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(t->inv.tenant_id), STORE_TEXT(t->account.id), STORE_TEXT(t->inv.role),
                             STORE_TIME(t->joined_at), STORE_TIME(t->joined_at)),
                  NULL, err))
        return err->code == ERR_CONFLICT ? err_set(err, ERR_CONFLICT, "you are already a member of this tenant") : err->code;
    details = json_pack("{s:s, s:s, s:b}", "role", t->inv.role, "invitationId", t->inv.id, "accountCreated", t->create);
    rc = audit_write(c, t->req,
                     &(struct audit_event){.tenant_id = t->inv.tenant_id,
                                           .action = "member.join",
                                           .target_type = "account",
                                           .target_id = t->account.id,
                                           .details = details,
                                           .actor_id = t->account.id,
                                           .actor_email = t->account.email},
                     err);
    json_decref(details);
    return rc;
}

/* Joins t->account to the invitation's tenant and answers the membership, with its tenantId. */
static enum err_code join(struct request *req, struct store_conn *db, struct accept_tx *t, struct err *err)
{
    json_t *member;

    if (tenant_tx(db, t->inv.tenant_id, join_body, t, err))
        return err->code;
    member = member_json(t->account.id, t->account.email, t->account.name, t->inv.role, t->joined_at);
    json_object_set_new(member, "tenantId", json_string(t->inv.tenant_id));
    response_json(req, 201, member);
    return ERR_OK;
}

/* Runs on the hashing pool: no account has the address, so the accept makes one with the invitee's password. */
static void accept_with_new_account(struct request *req)
{
    char *password = (char *)json_string_value(json_object_get(req->body, "password"));
    struct accept_tx t = {.req = req, .create = true};
    struct store_conn *db;
    struct account existing;
    struct err err;

    err_clear(&err);
    if (request_db(req, &db, &err) || invitation_pending(db, json_string_value(json_object_get(req->body, "token")), &t.inv, &err))
        goto out;
    if (accounts_find_by_email(db, t.inv.email, &existing, &err) != ERR_NOT_FOUND) {
        /* The invitee owns the address: telling them it has an account tells the inviter nothing. */
        if (err.code == ERR_OK)
            err_set(&err, ERR_CONFLICT, "an account has this e-mail address: log in as it, then accept the invitation");
        goto out;
    }
    err_clear(&err);
    memcpy(t.account.email, t.inv.email, sizeof t.inv.email);
    account_name_or_default(json_string_value(json_object_get(req->body, "name")), t.inv.email, t.account.name,
                            sizeof t.account.name);
    if (password_hash(&tenancy()->pw, password, t.account.password_hash, &err) == ERR_OK)
        join(req, db, &t, &err);
out:
    /* The password lives in the parsed body and the raw buffer: wipe both now. */
    hash_cleanse(password, strlen(password));
    hash_cleanse(req->raw.data, req->raw.len);
    if (err.code)
        response_error(req, &err);
}

/* A logged-in caller accepts as their own account, which must have the invited address. */
static enum err_code accept_as_caller(struct request *req, struct err *err)
{
    struct accept_tx t = {.req = req};
    struct store_conn *db;

    if (request_db(req, &db, err) || invitation_pending(db, json_string_value(json_object_get(req->body, "token")), &t.inv, err))
        return err->code;
    if (strcmp(t.inv.email, principal_of(req)->email) != 0)
        return err_set(err, ERR_CONFLICT,
                       "this invitation is for another e-mail address: log in as the account it was sent to, then accept it");
    memcpy(t.account.id, principal_of(req)->account_id, sizeof t.account.id);
    memcpy(t.account.email, principal_of(req)->email, sizeof t.account.email);
    memcpy(t.account.name, principal_of(req)->name, sizeof t.account.name);
    return join(req, db, &t, err);
}

enum err_code invitation_accept(struct request *req, struct err *err)
{
    static const char *const new_account_only[] = {"password", "name"};
    /* The route's class (ACCESS_PUBLIC_OR_ACCOUNT): credentials sent were checked, and bad ones answered 401. */
    if (!principal_of(req)->authenticated) {
        if (!json_is_string(json_object_get(req->body, "password"))) {
            err_detail(err, "password", "is required to create your account (if you have one: log in, then accept)");
            return err_set(err, ERR_INVALID, "the request body has 1 problem");
        }
        return request_defer(req, tenancy()->hash_pool, accept_with_new_account, err);
    }
    for (size_t i = 0; i < ARRAY_LEN(new_account_only); i++)
        if (json_is_string(json_object_get(req->body, new_account_only[i])))
            err_detail(err, new_account_only[i], "is only for a new account: you are logged in");
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "the request body has %d problem%s", err->ndetails, err->ndetails == 1 ? "" : "s");
    return accept_as_caller(req, err);
}
