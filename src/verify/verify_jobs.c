/*
 * verify_jobs.c: verification as jobs of the workflow engine (verify.h).
 * Verification jobs make one attempt: a step that cannot go on fails the
 * job at once, and its waiter hears why.
 *
 * "verify" is one step run twice: first it loads the integration and hands
 * the provider's verify call to the outbound loop, parked; when the call
 * ends the step runs again with it and records the verdict together with
 * the job's end. A process killed in between leaves the job RUNNING; once
 * its lease is out another process runs the step again from the start (a
 * verification changes nothing at the provider, so it is simply asked
 * again). "verify-all" creates one "verify" child per integration and,
 * when all have ended, gathers their answers.
 */
#include "verify/verify.h"

#include "core/log.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
#include "tenancy/roles.h"

json_t *verify_origin(const struct request *req)
{
    return json_pack("{s:s, s:s, s:s?, s:s?}", "requestId", req->id, "ip", req->ip, "userAgent", req->user_agent, "accountId",
                     principal_of(req)->authenticated ? principal_of(req)->account_id : NULL);
}

static const char *text_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The request as the audit row saw it, rebuilt from a job's payload into r and who; NULL when none asked (re-verification). */
static const struct request *origin_of(const json_t *payload, struct request *r, struct principal *who)
{
    const json_t *o = json_object_get(payload, "origin");
    const char *account = json_string_value(json_object_get(o, "accountId"));

    if (!json_is_object(o))
        return NULL;
    memset(r, 0, sizeof *r);
    memset(who, 0, sizeof *who);
    r->principal = who;
    snprintf(r->id, sizeof r->id, "%s", text_of(o, "requestId"));
    snprintf(r->ip, sizeof r->ip, "%s", text_of(o, "ip"));
    r->user_agent = json_string_value(json_object_get(o, "userAgent"));
    if (account) {
        who->authenticated = true;
        snprintf(who->account_id, sizeof who->account_id, "%s", account);
        r->account_id = who->account_id;
    }
    return r;
}

/* Loads the integration and runs its verify call as j's step (j parks). */
static enum err_code call(const struct verify_env *env, struct job *j, const struct category *cat, const char *id, struct err *err)
{
    const char *type = json_string_value(json_object_get(j->payload, "type"));
    const struct provider *expect = type ? provider_by_type(type) : NULL, *p;
    struct store_conn *db = NULL;
    json_t *config = NULL, *scm = NULL;

    if (type && !expect)
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (store_conn_get(env->store, &db, err) == ERR_OK)
        verify_load(db, env->keys, cat, j->tenant, id, expect, &config, &scm, err);
    store_conn_put(db);
    if (err->code)
        return err->code;
    p = provider_by_type(json_string_value(json_object_get(config, "type")));
    provider_call_in_job(
        verify_call_new(env->loop, p, id, config, scm, json_is_true(json_object_get(j->payload, "sendTest")), NULL, NULL), j);
    return ERR_OK;
}

static enum err_code record(const struct verify_env *env, struct job *j, const struct category *cat, const char *id,
                            const struct provider_call *v, struct err *err)
{
    struct request origin;
    struct principal who;
    const struct request *req = origin_of(j->payload, &origin, &who);
    struct store_conn *db = NULL;
    char to[16];

    if (store_conn_get(env->store, &db, err) == ERR_OK && verify_record(db, req, cat, j->tenant, id, v, j, to, err) == ERR_OK &&
        !req && strcmp(to, "VALID") != 0)
        log_info("re-verification: %s %s of tenant %s is now %s: %s", cat->slug, id, j->tenant, to, v->message);
    store_conn_put(db);
    return err->code;
}

void verify_job_step(void *ctx, struct job *j)
{
    const struct verify_env *env = ctx;
    const struct category *cat = category_by_slug(json_string_value(json_object_get(j->payload, "category")));
    const char *id = json_string_value(json_object_get(j->payload, "integrationId"));
    struct provider_call *v = provider_call_of(j);
    struct err err;

    err_clear(&err);
    if (!cat || !id || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a verification: the payload names no integration");
        job_fail(j, &err);
    } else if (!v) {
        if (call(env, j, cat, id, &err)) /* else parked: the call runs the step again */
            job_fail(j, &err);
    } else if (record(env, j, cat, id, v, &err)) {
        job_fail(j, &err);
    } else {
        job_done(j);
    }
}

/* ---- every integration of a tenant ---- */

enum { ALL_START, ALL_ANSWER };

/* Every integration of the tenant, as verify children of j; how many. */
static enum err_code add_children(const struct verify_env *env, struct job *j, int *count, struct err *err)
{
    struct store_conn *db = NULL;
    json_t *origin = json_object_get(j->payload, "origin");

    *count = 0;
    if (store_conn_get(env->store, &db, err))
        return err->code;
    for (int k = 0; k < CAT__COUNT && !err->code; k++) {
        const struct category *cat = category_get((enum category_id)k);
        struct store_stmt *st;
        int rc;
        if (store_select(db, cat->sql_ids, STORE_ARGS(STORE_TEXT(j->tenant)), &st, err))
            break;
        while ((rc = store_next(st, err)) == 1) {
            json_t *payload = json_pack("{s:s, s:s, s:b, s:i, s:O?}", "category", cat->slug, "integrationId", store_col_text(st, 0),
                                        "sendTest", 0, "index", *count, "origin", origin);
            job_child(
                j, &(struct job_new){.kind = VERIFY_JOB, .tenant = j->tenant, .payload = payload, .max_attempts = 1, .here = true});
            json_decref(payload);
            (*count)++;
        }
        store_finish(st);
    }
    store_conn_put(db);
    return err->code;
}

/* The answer of a child that ended without one: no verdict, and the status (and type) as stored. */
static json_t *unanswered(const struct verify_env *env, const char *tenant, const struct category *cat, const char *id,
                          const char *message)
{
    char status[16] = "NOT_VERIFIED", type[32] = "";
    struct store_conn *db = NULL;
    struct store_stmt *st;
    struct err err;
    json_t *a;

    err_clear(&err);
    if (store_conn_get(env->store, &db, &err) == ERR_OK &&
        store_select(db, cat->sql_status, STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, &err) == ERR_OK) {
        if (store_next(st, &err) == 1) {
            snprintf(status, sizeof status, "%s", store_col_text(st, 0));
            snprintf(type, sizeof type, "%s", store_col_text(st, 1));
        }
        store_finish(st);
    }
    store_conn_put(db);
    a = verify_answer(VERDICT_NONE, message, NULL, status);
    json_object_set_new(a, "type", json_string(type));
    return a;
}

static enum err_code gather(const struct verify_env *env, struct job *j, struct err *err)
{
    json_t *children, *child, *items;
    size_t i;

    if (job_children(j, &children, err))
        return err->code;
    items = json_array();
    for (i = 0; i < json_array_size(children); i++)
        json_array_append_new(items, json_null());
    json_array_foreach(children, i, child)
    {
        const json_t *payload = json_object_get(child, "payload");
        const struct category *cat = category_by_slug(json_string_value(json_object_get(payload, "category")));
        const char *id = json_string_value(json_object_get(payload, "integrationId"));
        json_int_t index = json_integer_value(json_object_get(payload, "index"));
        const json_t *output = json_object_get(child, "output");
        json_t *a;

        if (!cat || !id || index < 0 || (size_t)index >= json_array_size(items))
            continue;
        if (strcmp(json_string_value(json_object_get(child, "state")), "DONE") == 0) {
            a = json_deep_copy(json_object_get(output, "answer"));
            json_object_set(a, "type", json_object_get(output, "type"));
        } else {
            const char *why = json_string_value(json_object_get(child, "error"));
            a = unanswered(env, j->tenant, cat, id, why ? why : "the verification did not end");
        }
        json_object_set_new(a, "id", json_string(id));
        json_object_set_new(a, "category", json_string(cat->slug));
        json_array_set_new(items, (size_t)index, a);
    }
    json_decref(children);
    json_decref(j->output);
    j->output = json_pack("{s:o}", "items", items);
    return ERR_OK;
}

void verify_all_step(void *ctx, struct job *j)
{
    const struct verify_env *env = ctx;
    struct err err;
    int count;

    err_clear(&err);
    if (j->step == ALL_START && add_children(env, j, &count, &err) == ERR_OK) {
        if (count > 0) {
            job_wait_children(j, ALL_ANSWER);
            return;
        }
        j->output = json_pack("{s:[]}", "items");
    } else if (j->step != ALL_START) {
        gather(env, j, &err);
    }
    if (err.code)
        job_fail(j, &err);
    else
        job_done(j);
}
