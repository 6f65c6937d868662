/*
 * admin_http.c: the instance administrator's routes (docs/accounts.md).
 *
 * The first account of an instance administers it (bootstrap.c; migration
 * 0026 marks the oldest account of an existing database). The routes are
 * ACCESS_ADMIN: to every other account they do not exist (404). They see
 * every tenant and every account, create a tenant for its first owner (an
 * owner invitation), and disable accounts. They read across tenants on purpose, so they select
 * no tenantId column (the test runs' tenant guard watches that column).
 *
 * A disabled account gets no token (tokens_issue refuses it, whatever the
 * way in) and loses the ones it has in the transaction that disables it, so
 * the token lookup behind every request needs no new check. An
 * administrator cannot disable themself, and the last administrator
 * stays one: the instance always has someone who can undo a mistake.
 */
#include "core/clock.h"
#include "crypto/hash.h"
#include "http/page.h"
#include "tenancy/account_mail.h"
#include "tenancy/accounts.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy.h"
#include "tenancy/tenancy_http.h"
#include "tenancy/tenants.h"

SCHEMA(admin_tenant_create_schema,
       {.name = "orgName", .kind = FIELD_STRING, .required = true, .min = 1, .max = 200, .check = check_printable},
       {.name = "ownerEmail",
        .kind = FIELD_STRING,
        .required = true,
        .min = 3,
        .max = EMAIL_MAX,
        .check = check_email,
        .format = "email"});
SCHEMA(admin_account_update_schema, {.name = "disabled", .kind = FIELD_BOOL}, {.name = "instanceAdmin", .kind = FIELD_BOOL});

/* ---- tenants ---- */

static json_t *admin_tenant_row(struct store_stmt *st)
{
    return json_pack("{s:s, s:s, s:o, s:I, s:s, s:s}", "id", store_col_text(st, 0), "orgName", store_col_text(st, 1), "slug",
                     json_text_or_null(store_col_text(st, 2)), "memberCount", (json_int_t)store_col_int(st, 3), "createdAt",
                     store_col_text(st, 4), "updatedAt", store_col_text(st, 5));
}

enum err_code admin_tenants_list(struct request *req, struct err *err)
{
    struct page p;

    if (page_parse(req, &p, err))
        return err->code;
    return page_respond(req, &p,
                        "SELECT t.id, t.orgName, t.slug, (SELECT COUNT(*) FROM tenant_members m WHERE m.tenantId = t.id), "
                        "t.createdAt, t.updatedAt FROM tenants t "
                        "WHERE t.deletedAt IS NULL AND (t.createdAt <= ? AND (t.createdAt < ? OR t.id < ?)) "
                        "ORDER BY t.createdAt DESC, t.id DESC LIMIT ?",
                        STORE_ARGS(PAGE_ARGS(&p)), 4, 0, admin_tenant_row, err);
}

/*
 * A new tenant and an owner invitation for ownerEmail, in one transaction.
 * Always an invitation, even to an existing account: nobody is placed in a
 * tenant they did not accept (invitations_http.c), so the tenant has no
 * member until its owner accepts.
 */
struct admin_tenant_tx {
    const struct request *req;
    const char *org_name;
    struct tenant tenant;
    struct invite_tx invite;
};

static enum err_code admin_tenant_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct admin_tenant_tx *t = ctx;

    if (tenants_create(c, t->req, t->org_name, NULL, NULL, &t->tenant, err))
        return err->code;
    t->invite.tenant = t->tenant.id;
    return invitation_issue(c, &t->invite, err);
}

enum err_code admin_tenant_create(struct request *req, struct err *err)
{
    struct admin_tenant_tx t = {.req = req, .org_name = json_string_value(json_object_get(req->body, "orgName"))};
    struct store_conn *db;

    t.invite.req = req;
    t.invite.role = "owner";
    account_email_normalize(json_string_value(json_object_get(req->body, "ownerEmail")), t.invite.email, sizeof t.invite.email);
    if (request_db(req, &db, err) == ERR_OK && store_tx(db, admin_tenant_body, &t, err) == ERR_OK) {
        account_mail_nudge();
        response_json(req, 201,
                      json_pack("{s:{s:s, s:s, s:o, s:I, s:s, s:s}, s:o}", "tenant", "id", t.tenant.id, "orgName", t.org_name,
                                "slug", json_null(), "memberCount", (json_int_t)0, "createdAt", t.tenant.created_at, "updatedAt",
                                t.tenant.created_at, "invitation", invitation_created_json(&t.invite)));
    }
    hash_cleanse(t.invite.token, sizeof t.invite.token);
    return err->code;
}

/* ---- accounts ---- */

#define ADMIN_ACCOUNT_COLUMNS                                                                                                      \
    "id, email, name, CASE WHEN instanceAdmin THEN 1 ELSE 0 END, disabledAt, "                                                     \
    "CASE WHEN passwordHash IS NULL THEN 0 ELSE 1 END, createdAt, updatedAt"

static json_t *admin_account_row(struct store_stmt *st)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:o, s:b, s:s, s:s}", "id", store_col_text(st, 0), "email", store_col_text(st, 1),
                     "name", store_col_text(st, 2), "instanceAdmin", store_col_int(st, 3) == 1, "disabledAt",
                     json_text_or_null(store_col_text(st, 4)), "hasPassword", store_col_int(st, 5) == 1, "createdAt",
                     store_col_text(st, 6), "updatedAt", store_col_text(st, 7));
}

enum err_code admin_accounts_list(struct request *req, struct err *err)
{
    struct page p;

    if (page_parse(req, &p, err))
        return err->code;
    return page_respond(req, &p,
                        "SELECT " ADMIN_ACCOUNT_COLUMNS " FROM accounts "
                        "WHERE (createdAt <= ? AND (createdAt < ? OR id < ?)) ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(PAGE_ARGS(&p)), 6, 0, admin_account_row, err);
}

struct admin_account_tx {
    const struct request *req;
    const char *id;
    json_t *disabled, *admin; /* the body's, each NULL when absent */
    json_t *row;              /* the account as it ends */
};

/*
 * What the change would leave the instance without, or NULL. can_admin: the
 * account is an administrator who can log in now, so one the count holds.
 */
static const char *admin_lockout(struct store_conn *c, const struct admin_account_tx *t, bool can_admin, struct err *err)
{
    int64_t admins = 0;
    bool self = strcmp(t->id, principal_of(t->req)->account_id) == 0;

    if (self && json_is_true(t->disabled))
        return "you cannot disable your own account: another administrator can";
    if (!can_admin || !(json_is_false(t->admin) || json_is_true(t->disabled)))
        return NULL;
    if (store_int(c, "SELECT COUNT(*) FROM accounts WHERE instanceAdmin AND disabledAt IS NULL", STORE_NO_ARGS, &admins, err))
        return NULL;
    return admins <= 1 ? "the instance keeps at least one administrator who can log in: make another one first" : NULL;
}

static enum err_code admin_account_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct admin_account_tx *t = ctx;
    char now[TIMESTAMP_SIZE];
    const char *refused;
    bool is_admin, was_disabled;
    json_t *details;

    json_decref(t->row); /* a retried transaction's first attempt */
    if (!(t->row = page_row(c, "SELECT " ADMIN_ACCOUNT_COLUMNS " FROM accounts WHERE id = ?", STORE_ARGS(STORE_TEXT(t->id)),
                            admin_account_row, err)))
        return err->code;
    is_admin = json_is_true(json_object_get(t->row, "instanceAdmin"));
    was_disabled = !json_is_null(json_object_get(t->row, "disabledAt"));
    if ((refused = admin_lockout(c, t, is_admin && !was_disabled, err)))
        return err_set(err, ERR_CONFLICT, "%s", refused);
    if (err->code)
        return err->code;
    clock_now(now);
    if (t->disabled && json_is_true(t->disabled) != was_disabled &&
        (store_run(c, "UPDATE accounts SET disabledAt = ?, updatedAt = ? WHERE id = ?",
                   STORE_ARGS(STORE_TIME(json_is_true(t->disabled) ? now : NULL), STORE_TIME(now), STORE_TEXT(t->id)), NULL, err) ||
         (json_is_true(t->disabled) && store_run(c, "UPDATE api_tokens SET revokedAt = ? WHERE accountId = ? AND revokedAt IS NULL",
                                                 STORE_ARGS(STORE_TIME(now), STORE_TEXT(t->id)), NULL, err))))
        return err->code;
    if (t->admin && json_is_true(t->admin) != is_admin &&
        store_run(c, "UPDATE accounts SET instanceAdmin = ?, updatedAt = ? WHERE id = ?",
                  STORE_ARGS(STORE_BOOL(json_is_true(t->admin)), STORE_TIME(now), STORE_TEXT(t->id)), NULL, err))
        return err->code;
    if (!t->disabled && !t->admin) /* nothing sent: the account as it is, unaudited */
        return ERR_OK;
    details = json_object(); /* the fields sent */
    if (t->disabled)
        json_object_set(details, "disabled", t->disabled);
    if (t->admin)
        json_object_set(details, "instanceAdmin", t->admin);
    audit_write(
        c, t->req,
        &(struct audit_event){.action = "admin.account.update", .target_type = "account", .target_id = t->id, .details = details},
        err);
    json_decref(details);
    json_decref(t->row);
    t->row = err->code ? NULL
                       : page_row(c, "SELECT " ADMIN_ACCOUNT_COLUMNS " FROM accounts WHERE id = ?", STORE_ARGS(STORE_TEXT(t->id)),
                                  admin_account_row, err);
    return err->code;
}

enum err_code admin_account_patch(struct request *req, struct err *err)
{
    struct admin_account_tx t = {.req = req,
                                 .id = request_param(req, "accountId"),
                                 .disabled = json_object_get(req->body, "disabled"),
                                 .admin = json_object_get(req->body, "instanceAdmin")};
    struct store_conn *db;

    if (request_db(req, &db, err) || store_tx(db, admin_account_body, &t, err)) {
        json_decref(t.row);
        return err->code;
    }
    response_json(req, 200, t.row);
    return ERR_OK;
}
