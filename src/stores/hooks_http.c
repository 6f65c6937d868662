/* hooks_http.c: an owner registers a store target's webhook with its store, or removes it (hooks.h). */
#include "stores/hooks_http.h"

#include "integrations/catalog.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
#include "providers/registry.h"
#include "stores/hooks.h"
#include "tenancy/roles.h"

static struct jobs *jobs;

/* POST takes no fields: an empty object, or no body. */
const struct schema store_webhook_schema = {.name = "store_webhook_schema", .optional = true};

void store_webhooks_http_start(struct jobs *j)
{
    jobs = j;
    store_webhooks_start(j);
}

/* The path's target of the caller's tenant (404 otherwise); with acting, one whose store can register its webhook. */
static enum err_code load(struct request *req, bool acting, struct store_conn **db, struct err *err)
{
    struct integration_row *r = NULL;

    if (request_db(req, db, err) || integration_load(*db, NULL, category_get(CAT_TARGETS), principal_of(req)->tenant_id,
                                                     request_param(req, "id"), false, &r, err))
        return err->code;
    if (acting && (!r->prov || !r->prov->ops->store_webhook))
        err_set(err, ERR_INVALID, "%s cannot register its webhook with the store", r->prov ? r->prov->display : "this target");
    integration_row_free(r);
    return err->code;
}

/* The answer: the registration as it stands (status 200, or 202 with the job just asked). */
static enum err_code answer(struct request *req, struct store_conn *db, int status, struct err *err)
{
    json_t *out;

    if (store_webhook_describe(db, principal_of(req)->tenant_id, request_param(req, "id"), &out, err)) {
        json_decref(out);
        return err->code;
    }
    response_json(req, status, out);
    return ERR_OK;
}

enum err_code store_webhook_get(struct request *req, struct err *err)
{
    struct store_conn *db;

    if (load(req, false, &db, err))
        return err->code;
    return answer(req, db, 200, err);
}

struct ask_tx {
    const struct request *req;
    bool unregister;
};

static enum err_code ask_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct ask_tx *t = ctx;
    char job[UUID_SIZE];
    int64_t hooks = 0;

    if (!t->unregister &&
        (store_int(c, "SELECT COUNT(*) FROM integration_webhooks WHERE tenantId = ? AND integrationId = ?",
                   STORE_ARGS(STORE_TEXT(principal_of(t->req)->tenant_id), STORE_TEXT(request_param(t->req, "id"))), &hooks, err) ||
         !hooks))
        return err->code ? err->code
                         : err_set(err, ERR_CONFLICT, "the target has no webhook yet: make it first (POST .../webhook)");
    return store_webhook_ask(c, jobs, t->req, principal_of(t->req)->tenant_id, request_param(t->req, "id"), t->unregister, job,
                             err);
}

static enum err_code ask(struct request *req, bool unregister, struct err *err)
{
    struct ask_tx t = {req, unregister};
    struct store_conn *db;

    if (load(req, true, &db, err) || store_tx(db, ask_body, &t, err))
        return err->code;
    jobs_nudge(jobs);
    return answer(req, db, 202, err);
}

enum err_code store_webhook_register(struct request *req, struct err *err)
{
    return ask(req, false, err);
}

enum err_code store_webhook_unregister(struct request *req, struct err *err)
{
    return ask(req, true, err);
}
