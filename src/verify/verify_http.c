/*
 * verify_http.c: verification over HTTP. The connection is suspended while
 * the provider is asked (no thread waits), and resumed when the verdict has
 * been recorded on the verification pool.
 */
#include "verify/verify_http.h"

#include <pthread.h>

#include "app.h"
#include "core/rand.h"
#include "core/workpool.h"
#include "core/xmalloc.h"
#include "integrations/integrations.h"
#include "tenancy/auth.h"
#include "verify/verify.h"

#define SETUP_PREFIX "/api/v1/setup/verify-"

/* ---- one verification ---- */

struct single {
    struct request *req;
    const struct category *cat;
    char id[UUID_SIZE]; /* empty: a configuration check; nothing is stored */
    struct provider_call *v;
};

/* On the verification pool: record, answer, resume. */
static void single_record(void *arg)
{
    struct single *s = arg;
    struct store_conn *db;
    struct err err;
    char to[16];
    const char *status = verdict_name(s->v->verdict) ? verdict_name(s->v->verdict) : "NOT_VERIFIED";

    err_clear(&err);
    if (s->id[0]) {
        if (request_db(s->req, &db, &err) ||
            verify_record(db, s->req, s->cat, s->req->who.tenant_id, s->id, s->v->verdict, s->v->message, to, &err)) {
            response_error(s->req, &err);
            goto out;
        }
        status = to;
    }
    response_json(s->req, 200, verify_answer(s->v->verdict, s->v->message, s->v->output, status));
out:
    provider_call_free(s->v);
    request_resume(s->req);
}

static void single_done(struct provider_call *v, void *ctx)
{
    struct single *s = ctx;
    s->v = v;
    if (workpool_submit(app_of(s->req)->verify_pool, single_record, s) != 0)
        single_record(s); /* the pool is full or stopping: record here rather than lose it */
}

/* Suspends the request and starts; config and scm are stolen. */
static enum err_code start(struct request *req, const struct provider *p, const char *id, json_t *config, json_t *scm,
                           struct err *err)
{
    struct single *s = arena_alloc(req->arena, sizeof *s);
    json_t *send = req->body ? json_object_get(req->body, "sendTest") : NULL;

    if (send && !json_is_boolean(send)) {
        json_decref(config);
        json_decref(scm);
        err_detail(err, "sendTest", "must be a boolean");
        return err_set(err, ERR_INVALID, "invalid request");
    }
    s->req = req;
    s->cat = category_get(p->category);
    snprintf(s->id, sizeof s->id, "%s", id ? id : "");
    request_suspend(req);
    verify_start(&app_of(req)->providers, p, id, config, scm, json_is_true(send), single_done, s);
    return ERR_OK;
}

static enum err_code stored(struct request *req, const struct provider *p, const struct category *cat, const char *id,
                            struct err *err)
{
    struct app *app = app_of(req);
    struct store_conn *db;
    json_t *config, *scm = NULL;

    if (request_db(req, &db, err) || verify_load(db, app->keys, cat, req->who.tenant_id, id, p, &config, &scm, err))
        return err->code;
    if (!p)
        p = provider_by_type(json_string_value(json_object_get(config, "type")));
    return start(req, p, id, config, scm, err);
}

enum err_code verify_one_post(struct request *req, struct err *err)
{
    const struct category *cat = category_by_slug(request_param(req, "category"));
    json_t *body = req->body;

    if (!cat)
        return err_set(err, ERR_NOT_FOUND, "not found");
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) if (strcmp(key, "sendTest") != 0) err_detail(err, key, "is not a known field");
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "the body may only hold sendTest");
    return stored(req, NULL, cat, request_param(req, "id"), err);
}

/* Described (`slipway routes`), not applied by the router: the handler names its own problems, then checks the tenant. */
OPEN_SCHEMA(verify_setup_schema,
            {.name = "tenantId", .kind = FIELD_STRING, .required = true, .min = 36, .max = 36, .format = "uuid"},
            {.name = "config", .kind = FIELD_OBJECT},
            {.name = "integrationId", .kind = FIELD_STRING, .min = 36, .max = 36, .format = "uuid"},
            {.name = "sendTest", .kind = FIELD_BOOL});

enum err_code verify_setup_post(struct request *req, struct err *err)
{
    const struct provider *p = provider_by_kind(req->path + sizeof SETUP_PREFIX - 1);
    json_t *body = req->body, *config = json_object_get(body, "config"), *integration = json_object_get(body, "integrationId");
    const char *tenant = json_string_value(json_object_get(body, "tenantId"));
    struct app *app = app_of(req);
    const char *key;
    json_t *v, *copy, *scm = NULL;

    if (!p)
        return err_set(err, ERR_NOT_FOUND, "not found");
    json_object_foreach(body, key, v) if (strcmp(key, "tenantId") != 0 && strcmp(key, "config") != 0 &&
                                          strcmp(key, "integrationId") != 0 && strcmp(key, "sendTest") != 0)
        err_detail(err, key, "is not a known field");
    if (!tenant || !uuid_valid(tenant))
        err_detail(err, "tenantId", "is required: the tenant's id");
    if (!config == !integration)
        err_detail(err, "config", "send either config (to test before saving) or integrationId (to verify a stored one)");
    else if (config && !json_is_object(config))
        err_detail(err, "config", "must be an object");
    else if (integration && !(json_is_string(integration) && uuid_valid(json_string_value(integration))))
        err_detail(err, "integrationId", "must be an integration id");
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "the request has %d problem%s", err->ndetails, err->ndetails == 1 ? "" : "s");
    /* The body's tenant is checked like a path's: not its owner, or no such tenant, is 404. */
    if (auth_authenticate(req, tenant, ROLE_OWNER, err))
        return err->code;
    if (!provider_enabled(p))
        return err_set(err, ERR_INVALID, "%s integrations are disabled on this server (%s=false)", p->type, p->flag);
    if (integration)
        return stored(req, p, category_get(p->category), json_string_value(integration), err);

    /* A configuration check: validated like a create (named config.<field>), verified, never stored. */
    struct store_conn *db;
    struct err inner;
    const char *named = json_string_value(json_object_get(config, "type"));
    err_clear(&inner);
    if (named && strcmp(named, p->type) != 0)
        err_detail(&inner, "type", "must be %s here (or left out)", p->type);
    copy = json_deep_copy(config);
    secret_wipe_json(config);
    if (request_db(req, &db, err) == ERR_OK) {
        if (integration_validate(p, copy, &inner) == ERR_OK || inner.code == ERR_INVALID)
            integration_check_references(db, tenant, p, copy, &inner);
        for (int i = 0; i < inner.ndetails; i++) {
            char field[96];
            snprintf(field, sizeof field, "config.%s", inner.details[i].field);
            err_detail(err, field, "%s", inner.details[i].message);
        }
        if (err->ndetails)
            err_set(err, ERR_INVALID, "the configuration has %d problem%s", err->ndetails, err->ndetails == 1 ? "" : "s");
        else if (inner.code && inner.code != ERR_INVALID)
            *err = inner;
        else if (p->scm_type)
            verify_load_scm(db, app->keys, tenant, copy, &scm, err);
    }
    if (err->code) {
        secret_wipe_json(copy);
        json_decref(copy);
        return err->code;
    }
    return start(req, p, NULL, copy, scm, err);
}

/* ---- every integration of a tenant ---- */

struct batch {
    struct request *req;
    pthread_mutex_t lock;
    int pending;
    json_t *items;
};

struct item {
    struct batch *b;
    size_t index;
    const struct category *cat;
    char id[UUID_SIZE], type[32];
    struct provider_call *v;
};

static void batch_item(struct batch *b, size_t index, json_t *answer)
{
    bool last;

    pthread_mutex_lock(&b->lock);
    if (answer)
        json_array_set_new(b->items, index, answer);
    last = --b->pending == 0;
    pthread_mutex_unlock(&b->lock);
    if (!last)
        return;
    response_json(b->req, 200, json_pack("{s:O}", "items", b->items));
    json_decref(b->items);
    pthread_mutex_destroy(&b->lock);
    request_resume(b->req);
}

static json_t *item_answer(const struct item *it, enum verdict verdict, const char *message, json_t *details, const char *status)
{
    json_t *a = verify_answer(verdict, message, details, status);
    json_object_set_new(a, "id", json_string(it->id));
    json_object_set_new(a, "category", json_string(it->cat->slug));
    json_object_set_new(a, "type", json_string(it->type));
    return a;
}

static void item_record(void *arg)
{
    struct item *it = arg;
    struct batch *b = it->b;
    size_t index = it->index;
    struct store_conn *db;
    struct err err;
    char to[16] = "";
    json_t *answer;

    err_clear(&err);
    if (store_conn_get(b->req->store, &db, &err) == ERR_OK) {
        verify_record(db, b->req, it->cat, b->req->who.tenant_id, it->id, it->v->verdict, it->v->message, to, &err);
        store_conn_put(db);
    }
    answer = item_answer(it, it->v->verdict, it->v->message, it->v->output, to[0] ? to : "NOT_VERIFIED");
    if (err.code)
        json_object_set_new(answer, "message", json_string(err.message));
    provider_call_free(it->v);
    free(it);
    batch_item(b, index, answer);
}

static void item_done(struct provider_call *v, void *ctx)
{
    struct item *it = ctx;
    it->v = v;
    if (workpool_submit(app_of(it->b->req)->verify_pool, item_record, it) != 0)
        item_record(it);
}

/* What every integration of the tenant is, in order: (category, id) pairs into a JSON array of [slug, id]. */
static enum err_code list_all(struct store_conn *db, const char *tenant, json_t *out, struct err *err)
{
    for (int c = 0; c < CAT__COUNT; c++) {
        const struct category *cat = category_get((enum category_id)c);
        struct store_stmt *st;
        int rc;
        if (store_select(db, cat->sql_ids, STORE_ARGS(STORE_TEXT(tenant)), &st, err))
            return err->code;
        while ((rc = store_next(st, err)) == 1)
            json_array_append_new(out, json_pack("[s, s]", cat->slug, store_col_text(st, 0)));
        store_finish(st);
        if (rc < 0)
            return err->code;
    }
    return ERR_OK;
}

enum err_code verify_all_post(struct request *req, struct err *err)
{
    struct app *app = app_of(req);
    struct store_conn *db;
    json_t *all = json_array(), *pair;
    struct batch *b;
    size_t i, n;

    if (request_db(req, &db, err) || list_all(db, req->who.tenant_id, all, err)) {
        json_decref(all);
        return err->code;
    }
    n = json_array_size(all);
    b = arena_alloc(req->arena, sizeof *b);
    b->req = req;
    b->items = json_array();
    b->pending = (int)n + 1; /* +1 until every check has started */
    pthread_mutex_init(&b->lock, NULL);
    for (i = 0; i < n; i++)
        json_array_append_new(b->items, json_null());
    request_suspend(req);
    json_array_foreach(all, i, pair)
    {
        struct item *it = xcalloc(1, sizeof *it);
        json_t *config = NULL, *scm = NULL;
        const struct provider *p;
        struct err inner;

        it->b = b;
        it->index = i;
        it->cat = category_by_slug(json_string_value(json_array_get(pair, 0)));
        snprintf(it->id, sizeof it->id, "%s", json_string_value(json_array_get(pair, 1)));
        err_clear(&inner);
        if (verify_load(db, app->keys, it->cat, req->who.tenant_id, it->id, NULL, &config, &scm, &inner) == ERR_OK) {
            p = provider_by_type(json_string_value(json_object_get(config, "type")));
            snprintf(it->type, sizeof it->type, "%s", p->type);
            verify_start(&app->providers, p, it->id, config, scm, false, item_done, it);
            continue;
        }
        /* Could not even start: an answer without a verdict, and the status stays what it is. */
        char status[16] = "NOT_VERIFIED", message[sizeof inner.message];
        struct store_stmt *st;
        snprintf(message, sizeof message, "%s", inner.message);
        if (store_select(db, it->cat->sql_status, STORE_ARGS(STORE_TEXT(req->who.tenant_id), STORE_TEXT(it->id)), &st, &inner) ==
            ERR_OK) {
            if (store_next(st, &inner) == 1) {
                snprintf(status, sizeof status, "%s", store_col_text(st, 0));
                snprintf(it->type, sizeof it->type, "%s", store_col_text(st, 1));
            }
            store_finish(st);
        }
        json_t *answer = item_answer(it, VERDICT_NONE, message, NULL, status);
        free(it);
        batch_item(b, i, answer);
    }
    json_decref(all);
    batch_item(b, n, NULL); /* releases the +1: answers now if every check already ended */
    return ERR_OK;
}
