/* cicd.c: discovery of a pipeline integration's CI/CD jobs (cicd.h, docs/deployments.md "CI/CD jobs"). */
#include "deploy/cicd.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "deploy/lifecycle.h"
#include "deploy/listing.h"
#include "http/page.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
#include "providers/call.h"
#include "providers/pipelines/pipelines.h"
#include "usage/usage.h"
#include "verify/verify.h"

static const char *text(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

enum err_code cicd_discover_start(struct store_conn *c, struct jobs *q, const char *tenant, const char *integration,
                                  char job[UUID_SIZE], struct err *err)
{
    char prefix[JOB_EVENT_KEY_SIZE], key[JOB_EVENT_KEY_SIZE + TIMESTAMP_SIZE], now[TIMESTAMP_SIZE];
    int64_t changes = 0, exists = 0;
    json_t *payload;
    int rc;

    job[0] = '\0';
    if (store_int(c, "SELECT COUNT(*) FROM tenant_pipeline_integrations WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), &exists, err))
        return err->code;
    if (!exists)
        return err_set(err, ERR_NOT_FOUND, "no such pipeline integration");
    clock_now(now);
    snprintf(prefix, sizeof prefix, CICD_DISCOVER_JOB ":%s:", integration);
    /* The row's lock serializes two starts; DISCOVERING already: the running discovery's job answers, unless it has ended. */
    if (store_run(c,
                  "UPDATE tenant_pipeline_integrations SET discoveryStatus = 'DISCOVERING' WHERE tenantId = ? AND id = ? AND "
                  "discoveryStatus <> 'DISCOVERING'",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), &changes, err))
        return err->code;
    if (changes == 0 && (rc = listing_running(c, CICD_DISCOVER_JOB, prefix, job, err)) != 0)
        return err->code; /* running (job set), or an error */
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
static void discover_failed(const void *ctx, struct job *j, const char *integration, const char *message)
{
    const struct cicd_env *env = ctx;
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
static enum err_code start_page(const void *ctx, struct job *j, const char *integration, struct err *err)
{
    const struct cicd_env *env = ctx;
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

static enum err_code upsert(struct store_conn *c, const struct listing_write *w, const json_t *job, const char *now,
                            struct err *err)
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
    const struct listing_write *w = ctx;
    char now[TIMESTAMP_SIZE];
    size_t i;
    json_t *job;

    clock_now(now);
    json_array_foreach(w->items, i, job) if (upsert(c, w, job, now, err)) return err->code;
    if (store_run(c,
                  "UPDATE cicd_jobs SET removedAt = ?, updatedAt = ? WHERE integrationId = ? AND discoveredAt <> ? AND "
                  "removedAt IS NULL",
                  STORE_ARGS(STORE_TIME(now), STORE_TIME(now), STORE_TEXT(w->integration), STORE_TIME(now)), NULL, err) ||
        store_run(c,
                  "UPDATE tenant_pipeline_integrations SET discoveryStatus = 'DISCOVERED', lastDiscoveredAt = ?, "
                  "lastDiscoveryError = NULL WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(w->job->tenant), STORE_TEXT(w->integration)), NULL, err))
        return err->code;
    w->job->output = json_pack("{s:I}", "jobs", (json_int_t)json_array_size(w->items));
    return job_done_in(c, w->job, err);
}

static const struct listing_job discovery = {.pages = {.items = "jobs", .next = "cursor", .max_pages = CICD_DISCOVER_MAX_PAGES},
                                             .what = "a job discovery",
                                             .start_page = start_page,
                                             .write = write_body,
                                             .failed = discover_failed};

void cicd_discover_step(void *ctx, struct job *j)
{
    const struct cicd_env *env = ctx;

    listing_step(&discovery, env, env->store, j);
}

/* ---- a deployment's jobs ---- */

const char *cicd_jobs_shape(json_t *list)
{
    json_t *item, *v;
    const char *key;
    size_t i;

    if (json_array_size(list) < 1 || json_array_size(list) > CICD_DEPLOY_MAX_JOBS)
        return "must name 1 to 10 jobs";
    json_array_foreach(list, i, item)
    {
        const char *id = json_string_value(json_object_get(item, "jobId"));
        json_t *params = json_object_get(item, "parameters");
        if (!json_is_object(item) || !id || !uuid_valid(id) || (params && !json_is_object(params)) ||
            json_object_size(item) != 1u + (params != NULL))
            return "must be objects {jobId, parameters?}: a job's id and an object of its parameters";
        if (json_object_size(params) > CI_PARAMS_MAX)
            return "must give at most 100 parameters a job";
        json_object_foreach(params, key, v)
        {
            if (!(json_is_string(v) && json_string_length(v) <= 4096) && !json_is_integer(v) && !json_is_boolean(v))
                return "parameters must be strings (at most 4096 bytes), integers or booleans";
        }
    }
    return NULL;
}

/* A given value as the text a CI receives. */
static void value_text(const json_t *v, char *out, size_t n)
{
    if (json_is_boolean(v))
        snprintf(out, n, "%s", json_is_true(v) ? "true" : "false");
    else
        ci_text(v, out, n);
}

/* One parameter given against its definition (NULL: none of that name): a detail when it does not fit. */
static void check_value(struct err *err, size_t i, const char *name, const json_t *def, const json_t *v)
{
    const char *type = text(def, "type");
    const json_t *choice;
    char given[4100], field[200];
    bool found = false;
    size_t k;

    snprintf(field, sizeof field, "cicdJobs[%zu].parameters.%s", i, name);
    value_text(v, given, sizeof given);
    if (!def) {
        err_detail(err, field, "the job has no parameter %s", name);
    } else if (strcmp(type, "password") == 0) { /* it would be stored and audited in the clear: never taken */
        err_detail(err, field,
                   "is a password parameter: slipway does not carry secrets as job parameters; keep it in the CI's "
                   "credentials (the job's default applies)");
    } else if (strcmp(type, "choice") == 0) {
        json_array_foreach(json_object_get(def, "choices"), k, choice)
        {
            found = found || (json_is_string(choice) && strcmp(json_string_value(choice), given) == 0);
        }
        if (!found)
            err_detail(err, field, "must be one of the job's choices");
    } else if (strcmp(type, "boolean") == 0 && strcmp(given, "true") != 0 && strcmp(given, "false") != 0) {
        err_detail(err, field, "must be true or false");
    } else if (strcmp(type, "number") == 0 && !json_is_integer(v) &&
               !(given[0] && strspn(given, "-0123456789.") == strlen(given))) {
        err_detail(err, field, "must be a number");
    }
}

enum err_code cicd_mappings_check(struct store_conn *c, const char *tenant, const json_t *list, struct err *err)
{
    const json_t *item, *def, *v;
    struct store_stmt *st;
    const char *name;
    size_t i, k;
    int rc;

    json_array_foreach(list, i, item)
    {
        json_t *defs = NULL, *params = json_object_get(item, "parameters");
        char field[64];
        snprintf(field, sizeof field, "cicdJobs[%zu].jobId", i);
        if (store_select(c, "SELECT parameters FROM cicd_jobs WHERE tenantId = ? AND id = ? AND removedAt IS NULL",
                         STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(text(item, "jobId"))), &st, err))
            return err->code;
        if ((rc = store_next(st, err)) == 1)
            defs = json_loads(store_col_text(st, 0), 0, NULL);
        store_finish(st);
        if (rc < 0)
            return err->code;
        if (!json_is_array(defs)) {
            err_detail(err, field, "is not a discovered CI/CD job of this tenant");
            json_decref(defs);
            continue;
        }
        json_object_foreach(params, name, v)
        {
            const json_t *found = NULL;
            json_array_foreach(defs, k, def)
            {
                if (!found && text(def, "name") && strcmp(text(def, "name"), name) == 0)
                    found = def;
            }
            check_value(err, i, name, found, v);
        }
        json_array_foreach(defs, k, def)
        {
            if (json_is_true(json_object_get(def, "required")) && !json_object_get(def, "default") &&
                !json_object_get(params, text(def, "name")))
                err_detail(err, field, "the job needs its parameter %s", text(def, "name"));
        }
        json_decref(defs);
    }
    return err->code;
}

enum err_code cicd_mappings_insert(struct store_conn *c, const char *tenant, const char *deployment, const json_t *list,
                                   const char *now, struct err *err)
{
    const json_t *item;
    size_t i;

    json_array_foreach(list, i, item)
    {
        json_t *params = json_object(), *v;
        const char *name;
        char id[UUID_SIZE], value[4100], *dumped;
        json_object_foreach(json_object_get(item, "parameters"), name, v)
        {
            value_text(v, value, sizeof value);
            json_object_set_new(params, name, json_string(value));
        }
        dumped = json_dumps(params, JSON_COMPACT);
        json_decref(params);
        rand_uuid(id);
        store_run(c,
                  "INSERT INTO deployment_cicd_mappings (id, tenantId, deploymentId, cicdJobId, position, parameters, status, "
                  "createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', ?, ?)",
                  STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(deployment), STORE_TEXT(text(item, "jobId")),
                             STORE_INT((int64_t)i), STORE_TEXT(dumped ? dumped : "{}"), STORE_TIME(now), STORE_TIME(now)),
                  NULL, err);
        free(dumped);
        if (err->code)
            return err->code;
    }
    return ERR_OK;
}

static json_t *mapping_row(struct store_stmt *st)
{
    json_t *params = json_loads(store_col_text(st, 3), 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", store_col_text(st, 0), "tenantId",
                     store_col_text(st, 1), "jobId", store_col_text(st, 2), "parameters", params ? params : json_object(), "status",
                     store_col_text(st, 4), "buildNumber", json_text_or_null(store_col_text(st, 5)), "buildUrl",
                     json_text_or_null(store_col_text(st, 6)), "startedAt", json_text_or_null(store_col_text(st, 7)), "finishedAt",
                     json_text_or_null(store_col_text(st, 8)), "error", json_text_or_null(store_col_text(st, 9)), "name",
                     json_text_or_null(store_col_text(st, 10)), "runId", json_text_or_null(store_col_text(st, 11)));
}

json_t *cicd_mappings_of(struct store_conn *c, const char *tenant, const char *deployment, struct err *err)
{
    return page_items(
        c,
        "SELECT m.id, m.tenantId, m.cicdJobId, m.parameters, m.status, m.buildNumber, m.buildUrl, m.startedAt, "
        "m.finishedAt, m.error, j.name, m.runId FROM deployment_cicd_mappings m LEFT JOIN cicd_jobs j ON j.id = m.cicdJobId "
        "WHERE m.tenantId = ? AND m.deploymentId = ? ORDER BY m.position",
        STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(deployment)), mapping_row, err);
}

/* ---- a deployment's jobs run (cicd.h) ---- */

#define RUN_CALL "cicdCall"    /* j->data: the mapping whose call is attached */
#define RUN_POLLS "cicdPolls"  /* j->data: waits of the mapping so far (the poll's delay doubles) */
#define RUN_POLL_FIRST_MS 5000 /* the first status poll this long after the trigger, when no webhook came (as release builds) */
#define RUN_POLL_MAX_MS 300000
#define RUN_TRIES 6 /* triggers the CI did not answer before the job fails */

/* The first mapping of the deployment that has not ended. */
struct mapping {
    char id[UUID_SIZE], status[16], run[256], integration[UUID_SIZE], external[513], name[256];
    json_t *parameters;
};

static int mapping_next(const struct cicd_run *run, struct mapping *m, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(m, 0, sizeof *m);
    if (store_select(
            run->c,
            "SELECT m.id, m.status, m.runId, j.integrationId, j.externalId, j.name, m.parameters "
            "FROM deployment_cicd_mappings m JOIN cicd_jobs j ON j.id = m.cicdJobId AND j.tenantId = m.tenantId "
            "WHERE m.tenantId = ? AND m.deploymentId = ? AND m.status IN ('PENDING', 'RUNNING') ORDER BY m.position LIMIT 1",
            STORE_ARGS(STORE_TEXT(run->tenant), STORE_TEXT(run->deployment)), &st, err))
        return -1;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(m->id, sizeof m->id, "%s", store_col_text(st, 0));
        snprintf(m->status, sizeof m->status, "%s", store_col_text(st, 1));
        snprintf(m->run, sizeof m->run, "%s", store_col_null(st, 2) ? "" : store_col_text(st, 2));
        snprintf(m->integration, sizeof m->integration, "%s", store_col_text(st, 3));
        snprintf(m->external, sizeof m->external, "%s", store_col_text(st, 4));
        snprintf(m->name, sizeof m->name, "%s", store_col_text(st, 5));
        m->parameters = json_loads(store_col_text(st, 6), 0, NULL);
    }
    store_finish(st);
    return rc;
}

/* What the mapping becomes: to, with the run's facts (NULL: none new) and error (NULL: none). */
static void mapping_set(const struct cicd_run *run, struct mapping *m, const char *to, const json_t *facts, const char *error,
                        struct err *err)
{
    char now[TIMESTAMP_SIZE], number[64], line[1400];
    const char *id = json_string_value(json_object_get(facts, "runId")), *url = json_string_value(json_object_get(facts, "url"));
    bool ended = strcmp(to, "PENDING") != 0 && strcmp(to, "RUNNING") != 0;

    clock_now(now);
    ci_text(json_object_get(facts, "number"), number, sizeof number);
    if (strcmp(number, "0") == 0)
        number[0] = '\0';
    store_run(run->c,
              "UPDATE deployment_cicd_mappings SET status = ?, runId = COALESCE(?, runId), buildNumber = COALESCE(?, buildNumber), "
              "buildUrl = COALESCE(?, buildUrl), startedAt = COALESCE(startedAt, ?), finishedAt = ?, error = ?, updatedAt = ? "
              "WHERE tenantId = ? AND id = ? AND status IN ('PENDING', 'RUNNING')",
              STORE_ARGS(STORE_TEXT(to), STORE_TEXT(id && id[0] ? id : NULL), STORE_TEXT(number[0] ? number : NULL),
                         STORE_TEXT(url && url[0] ? url : NULL), id && id[0] ? STORE_TIME(now) : STORE_NULL,
                         ended ? STORE_TIME(now) : STORE_NULL, STORE_TEXT(error), STORE_TIME(now), STORE_TEXT(run->tenant),
                         STORE_TEXT(m->id)),
              NULL, err);
    if (id && id[0])
        snprintf(m->run, sizeof m->run, "%s", id);
    if (id && id[0] && !ended)
        snprintf(line, sizeof line, "CI/CD job %s: run %s%s%s is %s%s%s", m->name, id, number[0] ? " #" : "", number,
                 json_string_value(json_object_get(facts, "status")), url && url[0] ? ": " : "", url ? url : "");
    else if (ended)
        snprintf(line, sizeof line, "CI/CD job %s: %s%s%s", m->name, to, error ? ": " : "", error ? error : "");
    else
        line[0] = '\0';
    if (line[0] && !err->code)
        run->line(run->ctx, line);
    log_info("deployment %s of tenant %s: CI/CD job %s (mapping %s) %s", run->deployment, run->tenant, m->name, m->id, to);
    if (ended) /* the next mapping's waits start over */
        json_object_set_new(run->job->data, RUN_POLLS, json_integer(0));
}

/* The CI's word for a run ("queued", ...) as a mapping's status, and the error of one that did not succeed. */
static const char *mapping_status(const char *ci, const char **error)
{
    *error = NULL;
    if (ci && strcmp(ci, "succeeded") == 0)
        return "SUCCEEDED";
    if (ci && strcmp(ci, "failed") == 0)
        *error = "the CI run failed";
    else if (ci && strcmp(ci, "cancelled") == 0)
        *error = "the CI run was cancelled at the CI";
    return *error ? "FAILED" : "RUNNING";
}

/* Starts the trigger (status: NULL) or a status call of the mapping's run: j parks. */
static void call_start(const struct cicd_run *run, const struct mapping *m, bool trigger, struct err *err)
{
    struct job *j = run->job;
    const struct provider *p;
    json_t *config = NULL, *scm = NULL, *input;
    provider_step_fn op;
    char line[800];

    if (verify_load(run->c, run->env.keys, category_get(CAT_PIPELINES), run->tenant, m->integration, NULL, &config, &scm, err))
        return;
    p = provider_by_type(text(config, "type"));
    op = !p ? NULL : trigger ? p->ops->ci_trigger : p->ops->ci_status;
    if (!op || (trigger && !run->ref)) {
        secret_wipe_json(config);
        secret_wipe_json(scm);
        json_decref(config);
        json_decref(scm);
        if (op)
            err_set(err, ERR_CONFLICT, "the deployment names no ref to trigger its CI/CD jobs on");
        else
            err_set(err, ERR_CONFLICT, "%s cannot %s jobs", p ? p->display : "this CI", trigger ? "trigger" : "follow");
        return;
    }
    if (p->ci_job_field)
        json_object_set_new(config, p->ci_job_field, json_string(m->external));
    if (trigger) {
        input = json_pack("{s:s, s:O, s:s, s:b, s:i}", "ref", run->ref, "parameters", m->parameters ? m->parameters : json_object(),
                          "correlationId", m->id, "noTrigger", strcmp(m->status, "RUNNING") == 0, "attempt", j->attempt);
        snprintf(line, sizeof line, "CI/CD job %s: %s on %s", m->name,
                 strcmp(m->status, "RUNNING") == 0 ? "looking for its run" : "triggering", p->display);
        run->line(run->ctx, line);
    } else {
        input = json_pack("{s:s}", "runId", m->run);
    }
    json_object_set_new(j->data, RUN_CALL, json_string(m->id));
    provider_call_in_job(provider_call_new(run->env.loop, p, op, config, scm, input, NULL, NULL), j);
}

/* The mapping waits for its run's webhook (or, without a run yet, nothing) until the next poll. */
/* What a mapping's job waits for: its run's signed build webhook, or, before the run is known, its own key. */
static void wait_key(const char *mapping, const char *integration, const char *run_id, char key[JOB_EVENT_KEY_SIZE])
{
    if (run_id && run_id[0])
        snprintf(key, JOB_EVENT_KEY_SIZE, "build:%s:%.200s", integration, run_id);
    else
        snprintf(key, JOB_EVENT_KEY_SIZE, "cicd-run:%s", mapping);
}

static void wait_run(const struct cicd_run *run, const struct mapping *m)
{
    char key[JOB_EVENT_KEY_SIZE];
    json_int_t polls = json_integer_value(json_object_get(run->job->data, RUN_POLLS));
    int64_t delay = RUN_POLL_FIRST_MS;

    for (json_int_t i = 0; i < polls && delay < RUN_POLL_MAX_MS; i++)
        delay *= 2;
    if (delay > RUN_POLL_MAX_MS)
        delay = RUN_POLL_MAX_MS;
    wait_key(m->id, m->integration, m->run, key);
    json_object_set_new(run->job->data, RUN_POLLS, json_integer(polls + 1));
    job_wait(run->job, 0, key, clock_now_ms() + delay);
}

enum run_turn { TURN_NEXT, TURN_WAIT, TURN_TRIGGER, TURN_POLL };

/* A call of the mapping ended: recorded; what comes next. */
static enum run_turn call_done(const struct cicd_run *run, struct mapping *m, const struct provider_call *call, struct err *err)
{
    bool trigger = json_object_get(call->input, "correlationId") != NULL;
    const char *error, *to;

    if (call->verdict == VERDICT_VALID) {
        to = mapping_status(json_string_value(json_object_get(call->output, "status")), &error);
        mapping_set(run, m, to, call->output, error, err);
        usage_count(run->tenant, NULL, USAGE_BUILDS_TRIGGERED, trigger && !json_is_true(json_object_get(call->input, "noTrigger")));
        return strcmp(to, "RUNNING") == 0 ? TURN_WAIT : TURN_NEXT;
    }
    if (call->verdict == VERDICT_INVALID || call->verdict == VERDICT_EXPIRED) {
        mapping_set(run, m, "FAILED", NULL, call->message[0] ? call->message : "the CI refused", err);
        return TURN_NEXT;
    }
    if (trigger &&
        json_is_true(json_object_get(call->output, "triggered"))) { /* sent, not listed yet: looked for, never sent again */
        mapping_set(run, m, "RUNNING", NULL, NULL, err);
        return TURN_WAIT;
    }
    if (trigger && json_integer_value(json_object_get(run->job->data, RUN_POLLS)) + 1 >= RUN_TRIES) {
        mapping_set(run, m, "FAILED", NULL, call->message[0] ? call->message : "the CI did not answer", err);
        return TURN_NEXT;
    }
    return TURN_WAIT; /* not answered: asked again after the wait */
}

/* The run's webhook: {"status": "queued"|"running"|"completed", "conclusion"}; false when the event is not one. */
static bool event_done(const struct cicd_run *run, struct mapping *m, const json_t *event, struct err *err)
{
    const char *status = json_string_value(json_object_get(event, "status")), *conclusion, *error, *to;

    if (!status)
        return false;
    conclusion = json_string_value(json_object_get(event, "conclusion"));
    to = mapping_status(strcmp(status, "completed") == 0 ? (conclusion ? conclusion : "failed") : status, &error);
    if (strcmp(to, "RUNNING") != 0)
        mapping_set(run, m, to, NULL, error, err);
    return strcmp(to, "RUNNING") != 0;
}

bool cicd_run_call(const struct job *j)
{
    return json_object_get(j->data, RUN_CALL) && job_attached(j);
}

bool cicd_run_step(const struct cicd_run *run, struct err *err)
{
    struct job *j = run->job;
    const struct provider_call *call = cicd_run_call(j) ? provider_call_of(j) : NULL;
    char call_of[UUID_SIZE];
    bool woken = j->event != NULL, timed_out = j->timed_out;
    int64_t unfinished = -1;
    struct mapping m;
    int rc;

    snprintf(call_of, sizeof call_of, "%s", call ? text(j->data, RUN_CALL) : "");
    json_object_del(j->data, RUN_CALL);
    while ((rc = mapping_next(run, &m, err)) == 1) {
        enum run_turn turn;
        if (call && strcmp(call_of, m.id) == 0) {
            turn = call_done(run, &m, call, err);
        } else if (strcmp(m.status, "PENDING") == 0) {
            if (unfinished < 0 &&
                store_int(run->c, "SELECT COUNT(*) FROM deployment_runs WHERE tenantId = ? AND deploymentId = ? AND status <> ?",
                          STORE_ARGS(STORE_TEXT(run->tenant), STORE_TEXT(run->deployment), STORE_TEXT("SUCCEEDED")), &unfinished,
                          err) == ERR_OK &&
                unfinished > 0)
                mapping_set(run, &m, "FAILED", NULL, "not run: a script of the deployment did not succeed", err);
            turn = unfinished > 0 ? TURN_NEXT : TURN_TRIGGER;
        } else if (woken && m.run[0] && event_done(run, &m, j->event, err)) {
            turn = TURN_NEXT;
        } else {
            turn = !timed_out ? TURN_WAIT : m.run[0] ? TURN_POLL : TURN_TRIGGER; /* no run found yet: looked for again */
        }
        call = NULL;
        woken = timed_out = false;
        if (!err->code && turn == TURN_WAIT)
            wait_run(run, &m);
        else if (!err->code && turn != TURN_NEXT)
            call_start(run, &m, turn == TURN_TRIGGER, err);
        if (err->code == ERR_CONFLICT) { /* the CI cannot: the mapping fails, the next goes on */
            char reason[sizeof err->message];
            snprintf(reason, sizeof reason, "%s", err->message);
            err_clear(err);
            mapping_set(run, &m, "FAILED", NULL, reason, err);
            turn = TURN_NEXT;
        }
        json_decref(m.parameters);
        if (err->code || turn != TURN_NEXT)
            return !err->code;
    }
    return false;
}

enum err_code cicd_run_outcome(struct store_conn *c, const char *tenant, const char *deployment, int *counts, int *total,
                               char *first_failure, size_t n, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c,
                     "SELECT m.status, m.error, j.name FROM deployment_cicd_mappings m LEFT JOIN cicd_jobs j ON j.id = m.cicdJobId "
                     "WHERE m.tenantId = ? AND m.deploymentId = ? ORDER BY m.position",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(deployment)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        enum deploy_status s = deploy_status_parse(store_col_text(st, 0));
        if (s != DEP_NONE)
            counts[s]++;
        (*total)++;
        if (s == DEP_FAILED && !first_failure[0])
            snprintf(first_failure, n, "CI/CD job %s: %s", store_col_null(st, 2) ? "(deleted)" : store_col_text(st, 2),
                     store_col_null(st, 1) ? "failed" : store_col_text(st, 1));
    }
    store_finish(st);
    return err->code;
}

enum err_code cicd_run_cancel(struct store_conn *c, const char *tenant, const char *deployment, const char *now, struct err *err)
{
    json_t *keys = json_array(), *key;
    struct store_stmt *st;
    size_t i;

    /* The job following a RUNNING mapping is woken at once (it then finds nothing left to follow and ends), not at
     * its next poll, up to 5 minutes later. */
    if (store_select(c,
                     "SELECT m.id, j.integrationId, m.runId FROM deployment_cicd_mappings m JOIN cicd_jobs j ON j.id = m.cicdJobId "
                     "AND j.tenantId = m.tenantId WHERE m.tenantId = ? AND m.deploymentId = ? AND m.status = 'RUNNING'",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(deployment)), &st, err) == ERR_OK) {
        while (store_next(st, err) == 1) {
            char k[JOB_EVENT_KEY_SIZE];
            wait_key(store_col_text(st, 0), store_col_text(st, 1), store_col_null(st, 2) ? NULL : store_col_text(st, 2), k);
            json_array_append_new(keys, json_string(k));
        }
        store_finish(st);
    }
    if (!err->code)
        store_run(c,
                  "UPDATE deployment_cicd_mappings SET status = 'CANCELLED', finishedAt = ?, updatedAt = ?, error = CASE WHEN "
                  "runId IS NULL THEN 'cancelled with the deployment before it was triggered' ELSE 'cancelled with the "
                  "deployment: slipway stopped following its run (the run was not aborted at the CI)' END "
                  "WHERE tenantId = ? AND deploymentId = ? AND status IN ('PENDING', 'RUNNING')",
                  STORE_ARGS(STORE_TIME(now), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(deployment)), NULL, err);
    json_array_foreach(keys, i, key) if (!err->code) jobs_signal_in(c, json_string_value(key), NULL, err);
    json_decref(keys);
    return err->code;
}
