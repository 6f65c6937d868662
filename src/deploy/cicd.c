/* cicd.c: discovery of a pipeline integration's CI/CD jobs (cicd.h, docs/deployments.md "CI/CD jobs"). */
#include "deploy/cicd.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
#include "providers/call.h"
#include "verify/verify.h"

static const char *text(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

enum err_code cicd_discover_start(struct store_conn *c, struct jobs *q, const char *tenant, const char *integration,
                                  char job[UUID_SIZE], struct err *err)
{
    char prefix[JOB_EVENT_KEY_SIZE], key[JOB_EVENT_KEY_SIZE + TIMESTAMP_SIZE], now[TIMESTAMP_SIZE];
    struct store_stmt *st;
    int64_t changes = 0;
    json_t *payload;
    int rc;

    job[0] = '\0';
    clock_now(now);
    snprintf(prefix, sizeof prefix, CICD_DISCOVER_JOB ":%s:", integration);
    /* The row's lock serializes two starts; DISCOVERING already: the running discovery's job answers, unless it has ended. */
    if (store_run(c,
                  "UPDATE tenant_pipeline_integrations SET discoveryStatus = 'DISCOVERING' WHERE tenantId = ? AND id = ? AND "
                  "discoveryStatus <> 'DISCOVERING'",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), &changes, err))
        return err->code;
    if (changes == 0) {
        if (store_select(c,
                         "SELECT id FROM jobs WHERE kind = ? AND SUBSTR(dedupeKey, 1, ?) = ? AND state IN ('QUEUED', 'RUNNING', "
                         "'WAITING')",
                         STORE_ARGS(STORE_TEXT(CICD_DISCOVER_JOB), STORE_INT((int64_t)strlen(prefix)), STORE_TEXT(prefix)), &st,
                         err))
            return err->code;
        if ((rc = store_next(st, err)) == 1)
            snprintf(job, UUID_SIZE, "%s", store_col_text(st, 0));
        store_finish(st);
        if (rc != 0)
            return err->code;
        if (store_int(c, "SELECT COUNT(*) FROM tenant_pipeline_integrations WHERE tenantId = ? AND id = ?",
                      STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), &changes, err))
            return err->code;
        if (!changes)
            return err_set(err, ERR_NOT_FOUND, "no such pipeline integration");
    }
    snprintf(key, sizeof key, "%s%s", prefix, now);
    payload = json_pack("{s:s}", "integrationId", integration);
    jobs_enqueue_in(
        c, q,
        &(struct job_new){.kind = CICD_DISCOVER_JOB, .tenant = tenant, .payload = payload, .dedupe_key = key, .max_attempts = 3},
        job, err);
    json_decref(payload);
    return err->code;
}

/* The discovery failed: the rows stay, the integration says why. */
static void discover_failed(const struct cicd_env *env, struct job *j, const char *integration, const char *message)
{
    struct store_conn *db = NULL;
    struct err err;

    err_clear(&err);
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        store_run(db,
                  "UPDATE tenant_pipeline_integrations SET discoveryStatus = 'FAILED', lastDiscoveryError = ? WHERE tenantId = ? "
                  "AND id = ?",
                  STORE_ARGS(STORE_TEXT(message), STORE_TEXT(j->tenant), STORE_TEXT(integration)), NULL, &err);
    store_conn_put(db);
    log_info("CI/CD job discovery of integration %s of tenant %s failed: %s", integration, j->tenant, message);
    if (err.code)
        job_fail(j, &err);
    else
        job_done(j);
}

/* Starts the call for the page j's data names (the first when none): j parks. */
static enum err_code start_page(const struct cicd_env *env, struct job *j, const char *integration, struct err *err)
{
    const struct provider *p;
    struct store_conn *db = NULL;
    json_t *config = NULL, *scm = NULL, *input;
    const char *cursor = text(j->data, "cursor");

    if (store_conn_get(env->store, &db, err) == ERR_OK)
        verify_load(db, env->keys, category_get(CAT_PIPELINES), j->tenant, integration, NULL, &config, &scm, err);
    store_conn_put(db);
    if (err->code)
        return err->code;
    p = provider_by_type(text(config, "type"));
    if (!p || !p->ops->ci_list_jobs) {
        secret_wipe_json(config);
        secret_wipe_json(scm);
        json_decref(config);
        json_decref(scm);
        return err_set(err, ERR_CONFLICT, "%s cannot list its jobs", p ? p->display : "this CI");
    }
    input = cursor ? json_pack("{s:s}", "cursor", cursor) : json_object();
    provider_call_in_job(provider_call_new(env->loop, p, p->ops->ci_list_jobs, config, scm, input, NULL, NULL), j);
    return ERR_OK;
}

struct write_tx {
    struct job *job;
    const char *integration;
    const json_t *jobs;
};

static enum err_code upsert(struct store_conn *c, const struct write_tx *w, const json_t *job, const char *now, struct err *err)
{
    const char *ext = text(job, "id"), *name = text(job, "name");
    char id[UUID_SIZE], *params;
    int64_t changes = 0;

    if (!ext || !name || strlen(ext) > 512 || strlen(name) > 255)
        return ERR_OK; /* nothing to key it by, or more than a row holds: not listed */
    params = json_dumps(json_object_get(job, "parameters"), JSON_COMPACT);
    if (store_run(c,
                  "UPDATE cicd_jobs SET name = ?, path = ?, url = ?, description = ?, parameters = ?, discoveredAt = ?, "
                  "removedAt = NULL, updatedAt = ? WHERE integrationId = ? AND externalId = ?",
                  STORE_ARGS(STORE_TEXT(name), STORE_TEXT(text(job, "path")), STORE_TEXT(text(job, "url")),
                             STORE_TEXT(text(job, "description")), STORE_TEXT(params ? params : "[]"), STORE_TIME(now),
                             STORE_TIME(now), STORE_TEXT(w->integration), STORE_TEXT(ext)),
                  &changes, err) == ERR_OK &&
        changes == 0) {
        rand_uuid(id);
        store_run(c,
                  "INSERT INTO cicd_jobs (id, tenantId, integrationId, externalId, name, path, url, description, parameters, "
                  "discoveredAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(id), STORE_TEXT(w->job->tenant), STORE_TEXT(w->integration), STORE_TEXT(ext),
                             STORE_TEXT(name), STORE_TEXT(text(job, "path")), STORE_TEXT(text(job, "url")),
                             STORE_TEXT(text(job, "description")), STORE_TEXT(params ? params : "[]"), STORE_TIME(now),
                             STORE_TIME(now), STORE_TIME(now)),
                  NULL, err);
    }
    free(params);
    return err->code;
}

/* The listing read in full: the rows become it, and the integration DISCOVERED, with the job's end. */
static enum err_code write_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct write_tx *w = ctx;
    char now[TIMESTAMP_SIZE];
    size_t i;
    json_t *job;

    clock_now(now);
    json_array_foreach(w->jobs, i, job) if (upsert(c, w, job, now, err)) return err->code;
    if (store_run(c,
                  "UPDATE cicd_jobs SET removedAt = ?, updatedAt = ? WHERE integrationId = ? AND discoveredAt <> ? AND "
                  "removedAt IS NULL",
                  STORE_ARGS(STORE_TIME(now), STORE_TIME(now), STORE_TEXT(w->integration), STORE_TIME(now)), NULL, err) ||
        store_run(c,
                  "UPDATE tenant_pipeline_integrations SET discoveryStatus = 'DISCOVERED', lastDiscoveredAt = ?, "
                  "lastDiscoveryError = NULL WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(w->job->tenant), STORE_TEXT(w->integration)), NULL, err))
        return err->code;
    w->job->output = json_pack("{s:I}", "jobs", (json_int_t)json_array_size(w->jobs));
    return job_done_in(c, w->job, err);
}

static void page_done(const struct cicd_env *env, struct job *j, const char *integration, struct provider_call *call)
{
    json_t *jobs = json_object_get(j->data, "jobs"), *page = json_object_get(call->output, "jobs");
    const char *cursor = text(call->output, "cursor");
    struct write_tx w = {.job = j, .integration = integration};
    struct store_conn *db = NULL;
    struct err err;

    err_clear(&err);
    if (call->verdict != VERDICT_VALID) {
        discover_failed(env, j, integration, call->message[0] ? call->message : "the provider did not answer");
        return;
    }
    if (!json_is_array(jobs)) {
        jobs = json_array();
        json_object_set_new(j->data, "jobs", jobs);
    }
    if (json_is_array(page))
        json_array_extend(jobs, page);
    if (cursor && cursor[0]) {
        if (j->step + 1 >= CICD_DISCOVER_MAX_PAGES) {
            discover_failed(env, j, integration, "the listing has more pages than a discovery reads");
            return;
        }
        json_object_set_new(j->data, "cursor", json_string(cursor));
        job_next(j, j->step + 1);
        return;
    }
    w.jobs = jobs;
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        store_tx(db, write_body, &w, &err);
    store_conn_put(db);
    if (err.code)
        job_fail(j, &err);
    else
        job_done(j);
}

void cicd_discover_step(void *ctx, struct job *j)
{
    const struct cicd_env *env = ctx;
    const char *integration = text(j->payload, "integrationId");
    struct provider_call *call = provider_call_of(j);
    struct err err;

    err_clear(&err);
    if (!integration || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a job discovery: the payload names no integration");
        job_fail(j, &err);
    } else if (call) {
        page_done(env, j, integration, call);
    } else if (start_page(env, j, integration, &err) == ERR_NOT_FOUND) {
        job_done(j); /* the integration was deleted, its jobs with it */
    } else if (err.code == ERR_CONFLICT || err.code == ERR_INVALID) {
        discover_failed(env, j, integration, err.message);
    } else if (err.code) {
        job_fail(j, &err);
    }
}
