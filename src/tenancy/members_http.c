/*
 * members_http.c: who belongs to a tenant, with which role. Joining is by
 * invitation (invitations_http.c).
 *
 * Invariant: a tenant always has at least one owner. Demoting or removing
 * the last one is refused (409) inside the same transaction that would do
 * it, so two concurrent requests cannot both pass the check.
 */
#include "core/clock.h"
#include "http/page.h"
#include "tenancy/accounts.h"
#include "tenancy/audit.h"
#include "tenancy/tenants.h"
#include "tenancy/tenancy_http.h"

const char *const member_roles[] = {"owner", "editor", "viewer", NULL};

SCHEMA(member_update_schema, {.name = "role", .kind = FIELD_STRING, .required = true, .allowed = member_roles});

json_t *member_json(const char *account_id, const char *email, const char *name, const char *role, const char *created_at)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "accountId", account_id, "email", email, "name", name, "role", role, "createdAt",
                     created_at);
}

static json_t *member_row(struct store_stmt *st)
{
    return member_json(store_col_text(st, 0), store_col_text(st, 1), store_col_text(st, 2), store_col_text(st, 3),
                       store_col_text(st, 4));
}

enum err_code members_list(struct request *req, struct err *err)
{
    struct page p;

    if (page_parse(req, &p, err))
        return err->code;
    return page_respond(req, &p,
                        "SELECT m.accountId, a.email, a.name, m.role, m.createdAt FROM tenant_members m "
                        "JOIN accounts a ON a.id = m.accountId "
                        "WHERE m.tenantId = ? AND (m.createdAt <= ? AND (m.createdAt < ? OR m.accountId < ?)) "
                        "ORDER BY m.createdAt DESC, m.accountId DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), PAGE_ARGS(&p)), 4, 0, member_row, err);
}

/* The member's current role, or ERR_NOT_FOUND. */
static enum err_code current_role(struct store_conn *c, const char *tenant, const char *account, char role[16], struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c, "SELECT role FROM tenant_members WHERE tenantId = ? AND accountId = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(account)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        snprintf(role, 16, "%s", store_col_text(st, 0));
    store_finish(st);
    if (rc < 0)
        return err->code;
    return rc == 1 ? ERR_OK : err_set(err, ERR_NOT_FOUND, "not found");
}

/* Refuses when the member is the tenant's only owner. */
static enum err_code keep_an_owner(struct store_conn *c, const char *tenant, const char *role, struct err *err)
{
    struct store_stmt *st;
    int64_t owners = 0;
    int rc;

    if (strcmp(role, "owner") != 0)
        return ERR_OK;
    if (store_select(c, "SELECT COUNT(*) FROM tenant_members WHERE tenantId = ? AND role = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT("owner")), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        owners = store_col_int(st, 0);
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (owners <= 1)
        return err_set(err, ERR_CONFLICT, "a tenant needs at least one owner: make someone else owner first");
    return ERR_OK;
}

struct change_tx {
    const struct request *req;
    const char *new_role; /* NULL: remove the member */
    char old_role[16];
};

static enum err_code change_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct change_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id, *account = request_param(t->req, "accountId");
    char now[TIMESTAMP_SIZE];
    json_t *details;
    enum err_code rc;

    if (current_role(c, tenant, account, t->old_role, err))
        return err->code;
    if ((!t->new_role || strcmp(t->new_role, "owner") != 0) && keep_an_owner(c, tenant, t->old_role, err))
        return err->code;
    clock_now(now);
    rc = t->new_role
             ? store_run(c, "UPDATE tenant_members SET role = ?, updatedAt = ? WHERE tenantId = ? AND accountId = ?",
                         STORE_ARGS(STORE_TEXT(t->new_role), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(account)), NULL, err)
             : store_run(c, "DELETE FROM tenant_members WHERE tenantId = ? AND accountId = ?",
                         STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(account)), NULL, err);
    if (rc)
        return rc;
    details =
        t->new_role ? json_pack("{s:s, s:s}", "from", t->old_role, "to", t->new_role) : json_pack("{s:s}", "role", t->old_role);
    rc = audit_write(c, t->req,
                     &(struct audit_event){.tenant_id = tenant,
                                           .action = t->new_role ? "member.update" : "member.remove",
                                           .target_type = "account",
                                           .target_id = account,
                                           .details = details},
                     err);
    json_decref(details);
    return rc;
}

enum err_code member_patch(struct request *req, struct err *err)
{
    struct change_tx t = {.req = req, .new_role = json_string_value(json_object_get(req->body, "role"))};
    struct store_conn *db;
    struct store_stmt *st;
    int rc;

    if (request_db(req, &db, err) || tenant_tx(db, principal_of(req)->tenant_id, change_body, &t, err))
        return err->code;
    if (store_select(db,
                     "SELECT m.accountId, a.email, a.name, m.role, m.createdAt FROM tenant_members m "
                     "JOIN accounts a ON a.id = m.accountId WHERE m.tenantId = ? AND m.accountId = ?",
                     STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(request_param(req, "accountId"))), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        response_json(req, 200,
                      member_json(store_col_text(st, 0), store_col_text(st, 1), store_col_text(st, 2), store_col_text(st, 3),
                                  store_col_text(st, 4)));
    store_finish(st);
    if (rc < 0)
        return err->code;
    return rc == 1 ? ERR_OK : err_set(err, ERR_NOT_FOUND, "not found");
}

enum err_code member_delete(struct request *req, struct err *err)
{
    struct change_tx t = {.req = req};
    struct store_conn *db;

    if (request_db(req, &db, err) || tenant_tx(db, principal_of(req)->tenant_id, change_body, &t, err))
        return err->code;
    response_empty(req, 204);
    return ERR_OK;
}
