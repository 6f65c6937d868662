/*
 * verify_http.c: verification over HTTP. A stored integration (or all of a
 * tenant's) is verified by a job of the workflow engine, created to run in
 * this process at once; the connection is suspended meanwhile (no thread
 * waits) and resumed by the job's completion callback with its answer. A
 * configuration that is not stored is checked by a bare provider call,
 * answered when the call ends: nothing of it is kept.
 */
#include "verify/verify_http.h"

#include "core/rand.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
#include "tenancy/auth.h"
#include "verify/verify.h"

#define SETUP_PREFIX "/api/v1/setup/verify-"

static struct jobs *jobs;
static const struct keyring *keys;
static const struct provider_loop *loop;

void verify_http_start(struct jobs *j, const struct keyring *k, const struct provider_loop *l)
{
    jobs = j;
    keys = k;
    loop = l;
}

/* The job's answer (its output's key, or the whole output), or the error it ended with; then the request goes on. */
static void answer_job(struct request *req, const struct job_result *r, const char *key)
{
    const json_t *answer = key ? json_object_get(r->output, key) : r->output;

    if (r->state && strcmp(r->state, "DONE") == 0 && answer)
        response_json(req, 200, json_deep_copy(answer));
    else if (r->err && r->err->code)
        response_error(req, r->err);
    else
        response_error(req, &(struct err){.code = ERR_INTERNAL, .message = "the verification ended without an answer"});
    request_resume(req);
}

static void single_done(const struct job_result *r, void *ctx)
{
    answer_job(ctx, r, "answer");
}

/* Suspends the request and creates the job it waits for (payload borrowed); done answers it. */
static void run_job(struct request *req, const char *kind, json_t *payload, job_done_fn done)
{
    struct job_new n = {.kind = kind,
                        .tenant = principal_of(req)->tenant_id,
                        .payload = payload,
                        .max_attempts = 1,
                        .here = true,
                        .done = done,
                        .ctx = req};
    char id[UUID_SIZE];
    struct err err;

    err_clear(&err);
    request_suspend(req);
    if (jobs_enqueue(jobs, &n, id, &err)) {
        response_error(req, &err);
        request_resume(req);
    }
}

/* A configuration check: the answer when the call ends, on whichever thread that is. */
static void config_done(struct provider_call *v, void *ctx)
{
    struct request *req = ctx;
    const char *status = verdict_name(v->verdict) ? verdict_name(v->verdict) : "NOT_VERIFIED";

    response_json(req, 200, verify_answer(v->verdict, v->message, v->output, status));
    provider_call_free(v);
    request_resume(req);
}

/* sendTest from the body: absent, or a boolean. */
static enum err_code send_test(const struct request *req, bool *out, struct err *err)
{
    json_t *send = req->body ? json_object_get(req->body, "sendTest") : NULL;

    if (send && !json_is_boolean(send)) {
        err_detail(err, "sendTest", "must be a boolean");
        return err_set(err, ERR_INVALID, "invalid request");
    }
    *out = json_is_true(send);
    return ERR_OK;
}

/* A stored integration of cat (of type p, when given): a verify job. */
static enum err_code stored(struct request *req, const struct provider *p, const struct category *cat, const char *id,
                            struct err *err)
{
    json_t *payload;
    bool test = false;

    if (send_test(req, &test, err))
        return err->code;
    payload = json_pack("{s:s, s:s, s:b, s:s?, s:o}", "category", cat->slug, "integrationId", id, "sendTest", test, "type",
                        p ? p->type : NULL, "origin", verify_origin(req));
    run_job(req, VERIFY_JOB, payload, single_done);
    json_decref(payload);
    return ERR_OK;
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
            verify_load_scm(db, keys, tenant, copy, &scm, err);
    }
    bool test = false;
    if (err->code || send_test(req, &test, err)) {
        secret_wipe_json(copy);
        json_decref(copy);
        secret_wipe_json(scm);
        json_decref(scm);
        return err->code;
    }
    request_suspend(req);
    verify_start(loop, p, NULL, copy, scm, test, config_done, req);
    return ERR_OK;
}

/* ---- every integration of a tenant ---- */

static void all_done(const struct job_result *r, void *ctx)
{
    answer_job(ctx, r, NULL);
}

enum err_code verify_all_post(struct request *req, struct err *err)
{
    json_t *payload = json_pack("{s:o}", "origin", verify_origin(req));

    UNUSED(err);
    run_job(req, VERIFY_ALL_JOB, payload, all_done);
    json_decref(payload);
    return ERR_OK;
}
