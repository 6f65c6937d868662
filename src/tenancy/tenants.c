#include "tenancy/tenants.h"

#include "core/clock.h"
#include "core/rand.h"
#include "tenancy/audit.h"

enum err_code tenants_create(struct store_conn *c, const struct request *req, const char *org_name, const char *owner_id,
                             const char *owner_email, struct tenant *t, struct err *err)
{
    json_t *details;
    enum err_code rc;

    rand_uuid(t->id);
    clock_now(t->created_at);
    if (store_run(c, "INSERT INTO tenants (id, orgName, createdAt, updatedAt) VALUES (?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(org_name), STORE_TIME(t->created_at), STORE_TIME(t->created_at)), NULL,
                  err) ||
        (owner_id &&
         store_run(c, "INSERT INTO tenant_members (tenantId, accountId, role, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)",
                   STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(owner_id), STORE_TEXT("owner"), STORE_TIME(t->created_at),
                              STORE_TIME(t->created_at)),
                   NULL, err)))
        return err->code;
    details = json_pack("{s:s}", "orgName", org_name);
    rc = audit_write(c, req,
                     &(struct audit_event){.tenant_id = t->id,
                                           .action = "tenant.create",
                                           .target_type = "tenant",
                                           .target_id = t->id,
                                           .details = details,
                                           .actor_id = owner_id,
                                           .actor_email = owner_email},
                     err);
    json_decref(details);
    return rc;
}

json_t *tenant_json(const char *id, const char *org_name, const char *role, const char *created_at, const char *updated_at)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "orgName", org_name, "role", role, "createdAt", created_at, "updatedAt",
                     updated_at);
}

struct locked_tx {
    const char *tenant_id;
    store_tx_fn body;
    void *ctx;
};

static enum err_code locked_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct locked_tx *t = ctx;

    /* The row lock (PostgreSQL, MySQL) and the new revision in one statement. */
    if (store_run(c, "UPDATE tenants SET revision = revision + 1 WHERE id = ?", STORE_ARGS(STORE_TEXT(t->tenant_id)), NULL, err))
        return err->code;
    return t->body(c, t->ctx, err);
}

enum err_code tenant_tx(struct store_conn *c, const char *tenant_id, store_tx_fn body, void *ctx, struct err *err)
{
    struct locked_tx t = {tenant_id, body, ctx};
    return store_tx(c, locked_body, &t, err);
}
