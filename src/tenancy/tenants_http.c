/* tenants_http.c: creating, listing, reading, renaming and deleting tenants. */
#include "core/clock.h"
#include "http/page.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy_http.h"
#include "tenancy/tenants.h"

SCHEMA(tenant_create_schema,
       {.name = "orgName", .kind = FIELD_STRING, .required = true, .min = 1, .max = 200, .check = check_printable});
SCHEMA(tenant_update_schema,
       {.name = "orgName", .kind = FIELD_STRING, .required = true, .min = 1, .max = 200, .check = check_printable});

struct create_tx {
    const struct request *req;
    const char *org_name;
    struct tenant tenant;
};

static enum err_code create_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct create_tx *t = ctx;
    return tenants_create(c, t->req, t->org_name, principal_of(t->req)->account_id, principal_of(t->req)->email, &t->tenant, err);
}

enum err_code tenants_post(struct request *req, struct err *err)
{
    struct create_tx t = {.req = req, .org_name = json_string_value(json_object_get(req->body, "orgName"))};
    struct store_conn *db;

    if (request_db(req, &db, err) || store_tx(db, create_body, &t, err))
        return err->code;
    response_json(req, 201, tenant_json(t.tenant.id, t.org_name, "owner", t.tenant.created_at, t.tenant.created_at));
    return ERR_OK;
}

static json_t *tenant_row(struct store_stmt *st)
{
    return tenant_json(store_col_text(st, 0), store_col_text(st, 1), store_col_text(st, 2), store_col_text(st, 3),
                       store_col_text(st, 4));
}

enum err_code tenants_list(struct request *req, struct err *err)
{
    struct page p;

    if (page_parse(req, &p, err))
        return err->code;
    return page_respond(req, &p,
                        "SELECT t.id, t.orgName, m.role, t.createdAt, t.updatedAt FROM tenant_members m "
                        "JOIN tenants t ON t.id = m.tenantId "
                        "WHERE m.accountId = ? AND t.deletedAt IS NULL AND (t.createdAt <= ? AND (t.createdAt < ? OR t.id < ?)) "
                        "ORDER BY t.createdAt DESC, t.id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(principal_of(req)->account_id), PAGE_ARGS(&p)), 3, 0, tenant_row, err);
}

/* Answers the tenant as the caller sees it (the router has checked membership). */
static enum err_code respond_tenant(struct request *req, struct store_conn *db, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(db, "SELECT id, orgName, createdAt, updatedAt FROM tenants WHERE id = ? AND deletedAt IS NULL",
                     STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        response_json(req, 200,
                      tenant_json(store_col_text(st, 0), store_col_text(st, 1), role_name(principal_of(req)->role),
                                  store_col_text(st, 2), store_col_text(st, 3)));
    store_finish(st);
    if (rc < 0)
        return err->code;
    return rc == 1 ? ERR_OK : err_set(err, ERR_NOT_FOUND, "not found");
}

enum err_code tenant_get(struct request *req, struct err *err)
{
    struct store_conn *db;
    if (request_db(req, &db, err))
        return err->code;
    return respond_tenant(req, db, err);
}

static enum err_code patch_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct request *req = ctx;
    const char *org = json_string_value(json_object_get(req->body, "orgName"));
    char now[TIMESTAMP_SIZE];
    json_t *details = json_pack("{s:[s]}", "fields", "orgName");
    enum err_code rc;

    clock_now(now);
    rc = store_run(c, "UPDATE tenants SET orgName = ?, updatedAt = ? WHERE id = ? AND deletedAt IS NULL",
                   STORE_ARGS(STORE_TEXT(org), STORE_TIME(now), STORE_TEXT(principal_of(req)->tenant_id)), NULL, err);
    if (rc == ERR_OK)
        rc = audit_write(c, req,
                         &(struct audit_event){.tenant_id = principal_of(req)->tenant_id,
                                               .action = "tenant.update",
                                               .target_type = "tenant",
                                               .target_id = principal_of(req)->tenant_id,
                                               .details = details},
                         err);
    json_decref(details);
    return rc;
}

enum err_code tenant_patch(struct request *req, struct err *err)
{
    struct store_conn *db;
    if (request_db(req, &db, err) || tenant_tx(db, principal_of(req)->tenant_id, patch_body, req, err))
        return err->code;
    return respond_tenant(req, db, err);
}

static enum err_code delete_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct request *req = ctx;
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    if (store_run(c, "UPDATE tenants SET deletedAt = ?, updatedAt = ? WHERE id = ? AND deletedAt IS NULL",
                  STORE_ARGS(STORE_TIME(now), STORE_TIME(now), STORE_TEXT(principal_of(req)->tenant_id)), NULL, err))
        return err->code;
    return audit_write(c, req,
                       &(struct audit_event){.tenant_id = principal_of(req)->tenant_id,
                                             .action = "tenant.delete",
                                             .target_type = "tenant",
                                             .target_id = principal_of(req)->tenant_id},
                       err);
}

enum err_code tenant_delete(struct request *req, struct err *err)
{
    struct store_conn *db;
    if (request_db(req, &db, err) || tenant_tx(db, principal_of(req)->tenant_id, delete_body, req, err))
        return err->code;
    response_empty(req, 204);
    return ERR_OK;
}
