/*
 * builds.c: the build stage of a release (releases.h, docs/releases.md
 * "Builds"): the rows of a candidate's builds, one job a build that
 * triggers its pipeline, waits for the build webhook, polls without one,
 * and records the outcome, and the release's move once every build is in.
 */
#include "releases/releases.h"

#include <inttypes.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "crypto/secret.h"
#include "integrations/catalog.h"
#include "integrations/webhooks.h"
#include "jobs/jobs.h"
#include "notify/notify.h"
#include "releases/lifecycle.h"
#include "tenancy/tenants.h"
#include "usage/usage.h"
#include "verify/verify.h"

#define POLL_FIRST_MS 5000    /* the first status poll this long after the trigger, when no webhook came */
#define POLL_MAX_MS 300000    /* polls double up to this */
#define BUILD_MAX_ATTEMPTS 10 /* unanswered triggers retried with the engine's backoff */

/* Which pipeline builds platform: the configuration's platformPipelines, else the tenant's oldest active one for it. */
static enum err_code pipeline_for(struct store_conn *c, const char *tenant, const char *platform, char out[UUID_SIZE],
                                  struct err *err)
{
    struct store_stmt *st;
    int rc;

    out[0] = '\0';
    if (store_select(c, "SELECT platformPipelines FROM release_configs WHERE tenantId = ?", STORE_ARGS(STORE_TEXT(tenant)), &st,
                     err))
        return err->code;
    if ((rc = store_next(st, err)) == 1 && store_col_text(st, 0)) {
        json_t *map = json_loads(store_col_text(st, 0), 0, NULL);
        const char *id = json_string_value(json_object_get(map, platform));
        if (id && strlen(id) < UUID_SIZE)
            snprintf(out, UUID_SIZE, "%s", id);
        json_decref(map);
    }
    store_finish(st);
    if (rc < 0 || out[0])
        return err->code;
    if (store_select(c,
                     "SELECT id FROM tenant_pipeline_integrations WHERE tenantId = ? AND platform = ? AND isActive = ? "
                     "ORDER BY createdAt, id",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(platform), STORE_BOOL(true)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1)
        release_cols(st, 0, out, UUID_SIZE, NULL);
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* The release's platforms (a JSON array, caller owns) and current candidate; NULL when it is gone. */
static json_t *release_platforms(struct store_conn *c, const char *tenant, const char *release, int64_t *candidate, struct err *err)
{
    struct store_stmt *st;
    json_t *platforms = NULL;

    if (store_select(c, "SELECT platforms, candidateNumber FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err))
        return NULL;
    if (store_next(st, err) == 1) {
        platforms = store_col_text(st, 0) ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
        *candidate = store_col_int(st, 1);
    }
    store_finish(st);
    return json_is_array(platforms) ? platforms : (json_decref(platforms), NULL);
}

enum err_code release_builds_add(struct store_conn *c, const char *tenant, const char *release, bool retry, struct err *err)
{
    int64_t candidate = 0;
    json_t *platforms = release_platforms(c, tenant, release, &candidate, err), *p;
    char now[TIMESTAMP_SIZE], id[UUID_SIZE], pipeline[UUID_SIZE], status[16];
    struct store_stmt *st;
    size_t i;

    clock_now(now);
    json_array_foreach(platforms, i, p)
    {
        const char *platform = json_string_value(p);
        int64_t attempt = 0;
        int rc;
        if (!platform ||
            store_select(c,
                         "SELECT status, attempt FROM release_builds WHERE tenantId = ? AND releaseId = ? AND "
                         "platform = ? AND candidateNumber = ? ORDER BY attempt DESC",
                         STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release), STORE_TEXT(platform), STORE_INT(candidate)), &st, err))
            break;
        if ((rc = store_next(st, err)) == 1) {
            release_cols(st, 0, status, sizeof status, NULL);
            attempt = store_col_int(st, 1);
        }
        store_finish(st);
        if (rc < 0)
            break;
        if (attempt > 0 && !(retry && (strcmp(status, "FAILED") == 0 || strcmp(status, "CANCELLED") == 0)))
            continue; /* built, building, or not to be retried */
        rand_uuid(id);
        if (pipeline_for(c, tenant, platform, pipeline, err) ||
            store_run(c,
                      "INSERT INTO release_builds (id, tenantId, releaseId, platform, pipelineIntegrationId, candidateNumber, "
                      "attempt, status, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?)",
                      STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(release), STORE_TEXT(platform),
                                 pipeline[0] ? STORE_TEXT(pipeline) : STORE_NULL, STORE_INT(candidate), STORE_INT(attempt + 1),
                                 STORE_TIME(now), STORE_TIME(now)),
                      NULL, err))
            break;
    }
    json_decref(platforms);
    return err->code;
}

enum err_code release_builds_jobs(struct store_conn *c, const char *tenant, const char *release,
                                  void (*add)(void *ctx, const struct job_new *n, struct err *err), void *ctx, struct err *err)
{
    struct store_stmt *st;
    json_t *ids = json_array(), *id;
    char dedupe[80];
    size_t i;
    int rc;

    if (store_select(c, "SELECT id FROM release_builds WHERE tenantId = ? AND releaseId = ? AND status = 'PENDING'",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err) == ERR_OK) {
        while ((rc = store_next(st, err)) == 1)
            json_array_append_new(ids, json_string(store_col_text(st, 0)));
        store_finish(st);
    }
    json_array_foreach(ids, i, id)
    {
        json_t *payload;
        if (err->code)
            break;
        payload = json_pack("{s:s, s:O}", "releaseId", release, "buildId", id);
        snprintf(dedupe, sizeof dedupe, "release-build:%s", json_string_value(id));
        add(ctx,
            &(struct job_new){.kind = RELEASE_BUILD_JOB,
                              .tenant = tenant,
                              .payload = payload,
                              .dedupe_key = dedupe,
                              .max_attempts = BUILD_MAX_ATTEMPTS},
            err);
        json_decref(payload);
    }
    json_decref(ids);
    return err->code;
}

/* A build status as the CI's ("queued", ...) moved along the table from from; from itself when the table refuses. */
static enum build_status build_move(enum build_status from, const char *to)
{
    static const struct {
        const char *name;
        enum build_event event;
    } events[] = {{"running", BEV_STARTED}, {"succeeded", BEV_SUCCEEDED}, {"failed", BEV_FAILED}, {"cancelled", BEV_CANCEL}};
    enum build_status s = from;

    if (!to)
        return from;
    if (s == BUILD_PENDING && strcmp(to, "failed") != 0 && strcmp(to, "cancelled") != 0)
        s = build_transition(s, BEV_TRIGGERED);
    for (size_t i = 0; i < ARRAY_LEN(events); i++)
        if (strcmp(to, events[i].name) == 0 && build_transition(s, events[i].event) != BUILD_NONE)
            return build_transition(s, events[i].event);
    return s == BUILD_NONE ? from : s;
}

static bool build_ended(enum build_status s)
{
    return s == BUILD_SUCCEEDED || s == BUILD_FAILED || s == BUILD_CANCELLED;
}

enum err_code release_builds_settle(struct store_conn *c, const char *tenant, const char *release, struct err *err)
{
    int64_t candidate = 0;
    json_t *platforms = release_platforms(c, tenant, release, &candidate, err);
    char status[16] = "", platform[16] = "", seen[16] = "", failed[16] = "", now[TIMESTAMP_SIZE], reason[200];
    size_t done = 0;
    struct store_stmt *st;
    enum release_status to;
    int rc;

    if (!platforms)
        return err->code;
    if (store_select(c, "SELECT status FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err) == ERR_OK) {
        if (store_next(st, err) == 1)
            release_cols(st, 0, status, sizeof status, NULL);
        store_finish(st);
    }
    if (err->code || strcmp(status, "BUILDING") != 0 ||
        store_select(c,
                     "SELECT platform, status FROM release_builds WHERE tenantId = ? AND releaseId = ? AND candidateNumber = ? "
                     "ORDER BY platform, attempt DESC",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release), STORE_INT(candidate)), &st, err)) {
        json_decref(platforms);
        return err->code;
    }
    while ((rc = store_next(st, err)) == 1) { /* the latest attempt of each platform */
        release_cols(st, 0, platform, sizeof platform, NULL);
        if (strcmp(platform, seen) == 0)
            continue;
        snprintf(seen, sizeof seen, "%s", platform);
        if (strcmp(store_col_text(st, 1), "SUCCEEDED") == 0)
            done++;
        else if (!failed[0] && (strcmp(store_col_text(st, 1), "FAILED") == 0 || strcmp(store_col_text(st, 1), "CANCELLED") == 0))
            snprintf(failed, sizeof failed, "%s", platform);
    }
    store_finish(st);
    if (rc < 0 || (!failed[0] && done < json_array_size(platforms))) {
        json_decref(platforms);
        return err->code;
    }
    json_decref(platforms);
    snprintf(reason, sizeof reason, "the %s build of candidate %" PRId64 " failed: retry builds it again", failed, candidate);
    to = release_transition(REL_BUILDING, failed[0] ? REV_BUILD_FAILED : REV_BUILDS_DONE, REL_NONE);
    clock_now(now);
    if (store_run(c,
                  "UPDATE releases SET status = ?, resumeStatus = ?, statusReason = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(release_status_name(to)), STORE_TEXT(failed[0] ? "BUILDING" : NULL),
                             STORE_TEXT(failed[0] ? reason : NULL), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(release)),
                  NULL, err))
        return err->code;
    return release_event_add(c, tenant, release,
                             &(struct release_event_row){.kind = "STATUS",
                                                         .name = failed[0] ? "build-failed" : "builds-done",
                                                         .from = "BUILDING",
                                                         .to = release_status_name(to),
                                                         .message = failed[0] ? reason : "every build of the candidate succeeded"},
                             err);
}

/* ---- the build job ---- */

enum { B_TRIGGER, B_WAIT, B_POLL, B_CANCEL };

static const char *const build_steps[] = {"trigger-build", "wait-build", "poll-build", "cancel-build"};

/* What the job reads of its build and release. */
struct build {
    bool found;
    char status[16], run[256], number[64], url[2048], pipeline[UUID_SIZE], platform[16], created[TIMESTAMP_SIZE];
    char started[TIMESTAMP_SIZE];
    char release_status[16], branch[256], version[64];
    int64_t candidate, attempt;
    int64_t timeout_minutes; /* the release configuration's buildTimeoutMinutes: the deadline from startedAt */
};

static enum err_code build_load(struct store_conn *c, const char *tenant, const char *id, struct build *b, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(b, 0, sizeof *b);
    if (store_select(c,
                     "SELECT b.status, b.runId, b.buildNumber, b.buildUrl, b.pipelineIntegrationId, b.platform, b.createdAt, "
                     "b.candidateNumber, b.attempt, r.status, r.releaseBranch, r.version, b.startedAt, "
                     "COALESCE(rc.buildTimeoutMinutes, 120) FROM release_builds b "
                     "JOIN releases r ON r.id = b.releaseId AND r.tenantId = b.tenantId "
                     "LEFT JOIN release_configs rc ON rc.tenantId = b.tenantId WHERE b.tenantId = ? AND b.id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        b->found = true;
        release_cols(st, 0, b->status, sizeof b->status, b->run, sizeof b->run, b->number, sizeof b->number, b->url, sizeof b->url,
                     b->pipeline, sizeof b->pipeline, b->platform, sizeof b->platform, b->created, sizeof b->created, NULL);
        b->candidate = store_col_int(st, 7);
        b->attempt = store_col_int(st, 8);
        release_cols(st, 9, b->release_status, sizeof b->release_status, b->branch, sizeof b->branch, b->version, sizeof b->version,
                     b->started, sizeof b->started, NULL);
        b->timeout_minutes = store_col_int(st, 13);
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* build.completed or build.failed (notify.h) for b, ended in status to, in c's transaction. */
static enum err_code build_notify(struct store_conn *c, const char *tenant, const char *release, const struct build *b,
                                  enum build_status to, const char *number, const char *url, const char *message, struct err *err)
{
    json_t *fields = json_pack("{s:s, s:o, s:o}", "platform", b->platform, "buildNumber",
                               json_text_or_null(number[0] ? number : NULL), "url", json_text_or_null(url[0] ? url : NULL));

    if (to != BUILD_SUCCEEDED)
        json_object_set_new(fields, "reason", json_string(message));
    notify_build_change(c, tenant, release, to == BUILD_SUCCEEDED, fields, message, err);
    json_decref(fields);
    return err->code;
}

/* One outcome of a build's step, recorded in one transaction. */
struct outcome {
    struct job *job; /* the build's job, ended with the outcome when it ends the build; NULL: a webhook applied as received */
    const char *tenant;
    const char *build, *release, *step, *message;
    const char *call_message; /* with stop: the CALL event's message (the cancel call's), message the STATUS event's */
    enum verdict verdict;     /* of the call, or VERDICT_VALID for a webhook */
    const json_t *details;    /* the call's output, or the webhook's event */
    const char *ci_status;    /* the CI's word for the run ("queued", ...), or NULL */
    const json_t *run;        /* {"runId", "number", "url"} where known, or NULL */
    bool refused;             /* the build cannot go on: FAILED */
    const char *stop;         /* the build was stopped ("cancelled", "failed"), its STATUS event saying message */
    enum build_status to;     /* out: the build's status after */
};

/* o on the build b (read in c's transaction): the timeline, the build's row, and when it ends, the release's move. */
static enum err_code outcome_apply(struct store_conn *c, struct outcome *o, const struct build *b, struct err *err)
{
    const char *tenant = o->tenant;
    char now[TIMESTAMP_SIZE], number[64], msg[400];
    const char *run, *url;
    enum build_status from = build_status_parse(b->status);

    if (build_ended(from)) { /* ended meanwhile (its webhook applied while a poll was out): nothing more to say */
        o->to = from;
        return o->job ? job_done_in(c, o->job, err) : ERR_OK;
    }
    if (!(o->stop && !o->call_message) && /* a build stopped without a call to its CI has no call to show */
        release_event_add(c, tenant, o->release,
                          &(struct release_event_row){.kind = "CALL",
                                                      .name = o->step,
                                                      .outcome = o->refused || (o->stop && o->verdict != VERDICT_VALID)
                                                                     ? "FAILED" /* a cancel is not tried again */
                                                                 : o->verdict == VERDICT_NONE ? "RETRY"
                                                                                              : "OK",
                                                      .message = o->stop ? o->call_message : o->message,
                                                      .details = o->details},
                          err))
        return err->code;
    o->to = o->refused ? build_move(from, "failed") : build_move(from, o->stop ? o->stop : o->ci_status);
    if (o->to == from && !o->run)
        return ERR_OK;
    run = json_string_value(json_object_get(o->run, "runId"));
    url = json_string_value(json_object_get(o->run, "url"));
    if (json_is_integer(json_object_get(o->run, "number")) && json_integer_value(json_object_get(o->run, "number")) > 0)
        snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(o->run, "number")));
    else
        snprintf(number, sizeof number, "%s", b->number);
    clock_now(now);
    if (store_run(c,
                  "UPDATE release_builds SET status = ?, runId = ?, buildNumber = ?, buildUrl = ?, startedAt = ?, finishedAt = ?, "
                  "updatedAt = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(build_status_name(o->to)), STORE_TEXT(run && run[0] ? run : (b->run[0] ? b->run : NULL)),
                             STORE_TEXT(number[0] ? number : NULL), STORE_TEXT(url && url[0] ? url : (b->url[0] ? b->url : NULL)),
                             b->started[0] ? STORE_TIME(b->started) : STORE_TIME(now),
                             build_ended(o->to) ? STORE_TIME(now) : STORE_NULL, STORE_TIME(now), STORE_TEXT(tenant),
                             STORE_TEXT(o->build)),
                  NULL, err))
        return err->code;
    if (!build_ended(o->to))
        return ERR_OK;
    snprintf(msg, sizeof msg, "the %s build (candidate %" PRId64 ", attempt %" PRId64 ") %s", b->platform, b->candidate, b->attempt,
             o->to == BUILD_SUCCEEDED ? "succeeded"
             : o->to == BUILD_FAILED  ? "failed"
                                      : "was cancelled");
    if (release_event_add(c, tenant, o->release,
                          &(struct release_event_row){.kind = "STATUS",
                                                      .name = o->to == BUILD_SUCCEEDED ? "build-succeeded" : "build-failed",
                                                      .message = o->refused || o->stop ? o->message : msg,
                                                      .details = o->run},
                          err) ||
        build_notify(c, tenant, o->release, b, o->to, number, url && url[0] ? url : b->url,
                     o->refused || o->stop ? o->message : msg, err) ||
        release_builds_settle(c, tenant, o->release, err))
        return err->code;
    return o->job ? job_done_in(c, o->job, err) : ERR_OK;
}

static enum err_code outcome_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct outcome *o = ctx;
    struct build b;

    if (build_load(c, o->tenant, o->build, &b, err))
        return err->code;
    if (!b.found)
        return err_set(err, ERR_NOT_FOUND, "the build is gone");
    return outcome_apply(c, o, &b, err);
}

static enum err_code outcome_record(const struct release_env *env, struct outcome *o, struct err *err)
{
    struct store_conn *c = NULL;
    if (store_conn_get(env->store, &c, err) == ERR_OK)
        tenant_tx(c, o->tenant, outcome_body, o, err);
    store_conn_put(c);
    return err->code;
}

/* When a started build is out of time (ms since the epoch); 0 before it started. */
static int64_t build_deadline(const struct build *b)
{
    int64_t started = 0;
    if (!b->started[0] || clock_parse(b->started, &started) != 0)
        return 0;
    return started + b->timeout_minutes * 60000;
}

/*
 * Whether the build stops here, and how: "cancelled" with its release, or
 * "failed" past its deadline (message says which, into msg); NULL: it goes on.
 */
static const char *build_stops(const struct build *b, char *msg, size_t n)
{
    if (strcmp(b->release_status, "CANCELLED") == 0) {
        snprintf(msg, n, "the %s build (candidate %" PRId64 ", attempt %" PRId64 ") was cancelled with its release", b->platform,
                 b->candidate, b->attempt);
        return "cancelled";
    }
    if (build_deadline(b) && clock_now_ms() >= build_deadline(b)) {
        snprintf(msg, n,
                 "the %s build (candidate %" PRId64 ", attempt %" PRId64 ") timed out: no outcome %" PRId64
                 " minutes after it started (buildTimeoutMinutes)",
                 b->platform, b->candidate, b->attempt, b->timeout_minutes);
        return "failed";
    }
    return NULL;
}

/* Waits for the build's webhook until the next poll (the wait doubles each time). */
static void wait_for_run(struct job *j, const struct build *b)
{
    char key[JOB_EVENT_KEY_SIZE];
    json_int_t polls = json_integer_value(json_object_get(j->data, "polls"));
    int64_t delay = POLL_FIRST_MS;

    for (json_int_t i = 0; i < polls && delay < POLL_MAX_MS; i++)
        delay *= 2;
    if (delay > POLL_MAX_MS)
        delay = POLL_MAX_MS;
    if (build_deadline(b) && build_deadline(b) - clock_now_ms() < delay) /* woken at the deadline to stop the build */
        delay = build_deadline(b) > clock_now_ms() ? build_deadline(b) - clock_now_ms() : 0;
    snprintf(key, sizeof key, "build:%s:%.200s", b->pipeline, b->run);
    json_object_set_new(j->data, "polls", json_integer(polls + 1));
    job_wait(j, B_WAIT, key, clock_now_ms() + delay);
}

/* Starts the trigger (B_TRIGGER) or status (B_POLL) call on the build's pipeline (j parks). */
static enum err_code start_call(const struct release_env *env, struct job *j, const struct build *b, struct err *err)
{
    const struct provider *p;
    struct store_conn *db = NULL;
    json_t *config = NULL, *scm = NULL, *input;
    provider_step_fn op;
    int64_t created = 0;

    if (store_conn_get(env->store, &db, err) == ERR_OK)
        verify_load(db, env->keys, category_get(CAT_PIPELINES), j->tenant, b->pipeline, NULL, &config, &scm, err);
    store_conn_put(db);
    if (err->code)
        return err->code;
    p = provider_by_type(json_string_value(json_object_get(config, "type")));
    op = !p ? NULL : j->step == B_TRIGGER ? p->ops->ci_trigger : j->step == B_CANCEL ? p->ops->ci_cancel : p->ops->ci_status;
    if (!op) {
        secret_wipe_json(config);
        secret_wipe_json(scm);
        json_decref(config);
        json_decref(scm);
        return err_set(err, ERR_CONFLICT, "%s cannot %s builds yet", p ? p->display : "this pipeline",
                       j->step == B_TRIGGER  ? "trigger"
                       : j->step == B_CANCEL ? "cancel"
                                             : "read");
    }
    clock_parse(b->created, &created);
    if (j->step == B_TRIGGER)
        input = json_pack("{s:s, s:{s:s, s:I, s:I}, s:s, s:b, s:s, s:i}", "ref", b->branch, "parameters", "version", b->version,
                          "candidate", (json_int_t)b->candidate, "buildNumber", (json_int_t)(created / 1000), "correlationId",
                          json_string_value(json_object_get(j->payload, "buildId")), "noTrigger",
                          strcmp(b->status, "QUEUED") == 0 && !b->run[0], "integrationId", b->pipeline, "attempt", j->attempt);
    else /* status or cancel */
        input = json_pack("{s:s, s:s}", "runId", b->run, "integrationId", b->pipeline);
    provider_call_in_job(provider_call_new(env->loop, p, op, config, scm, input, NULL, NULL), j);
    return ERR_OK;
}

/* A trigger or status call ended: recorded, then on. */
static void call_done(const struct release_env *env, struct job *j, const struct build *b, struct provider_call *call)
{
    const char *release = json_string_value(json_object_get(j->payload, "releaseId"));
    bool trigger = j->step == B_TRIGGER;
    bool triggered = trigger && json_is_true(json_object_get(call->output, "triggered"));
    struct outcome o = {.job = j,
                        .tenant = j->tenant,
                        .build = json_string_value(json_object_get(j->payload, "buildId")),
                        .release = release,
                        .step = build_steps[j->step],
                        .message = call->message,
                        .verdict = call->verdict,
                        .details = call->output,
                        .refused = trigger && (call->verdict == VERDICT_INVALID || call->verdict == VERDICT_EXPIRED),
                        .ci_status = call->verdict == VERDICT_VALID ? json_string_value(json_object_get(call->output, "status"))
                                     : triggered                    ? "queued"
                                                                    : NULL,
                        .run = call->verdict == VERDICT_VALID ? call->output : NULL};
    const char *cause = json_string_value(json_object_get(call->output, "cause"));
    char message[700];
    struct build now;
    struct err err;

    err_clear(&err);
    if (o.refused && cause) {
        snprintf(message, sizeof message, "%s (%s)", call->message, cause);
        o.message = message;
    }
    usage_count(j->tenant, NULL, USAGE_BUILDS_TRIGGERED, triggered); /* the CI took it */
    if (outcome_record(env, &o, &err)) {
        job_fail(j, &err);
        return;
    }
    if (build_ended(o.to)) {
        if (o.refused)
            log_info("release %s of tenant %s: the %s build was refused: %s", release, j->tenant, b->platform, o.message);
        job_done(j); /* recorded with the outcome */
        return;
    }
    if (call->verdict == VERDICT_NONE && trigger) {
        err_set(&err, ERR_UNAVAILABLE, "%s: %s", build_steps[j->step], call->message);
        job_fail(j, &err); /* again after the engine's backoff; a run triggered already is only looked for */
        return;
    }
    now = *b;
    if (call->verdict == VERDICT_VALID && json_string_value(json_object_get(call->output, "runId")))
        snprintf(now.run, sizeof now.run, "%s", json_string_value(json_object_get(call->output, "runId")));
    wait_for_run(j, &now); /* a poll without an answer is tried again at the next, later */
}

/*
 * The outcome a build webhook's event ({"status": "queued"|"running"|"completed", "conclusion"}: webhooks_event_json)
 * records on b, its message written into message (n bytes); the caller names the job, tenant, build and release.
 */
static struct outcome webhook_outcome(const json_t *event, const struct build *b, char *message, size_t n)
{
    const char *status = json_string_value(json_object_get(event, "status"));
    const char *conclusion = json_string_value(json_object_get(event, "conclusion"));
    const char *ci = status && strcmp(status, "completed") == 0 ? (conclusion ? conclusion : "failed") : status;

    snprintf(message, n, "the CI says run %s is %s", b->run, ci ? ci : "in an unknown state");
    return (struct outcome){
        .step = "build-webhook", .message = message, .verdict = VERDICT_VALID, .details = event, .ci_status = ci};
}

/* The webhook's event, signalled to the job waiting on its run. */
static void webhook_done(const struct release_env *env, struct job *j, const struct build *b)
{
    char message[300];
    struct outcome o = webhook_outcome(j->event, b, message, sizeof message);
    struct err err;

    o.job = j;
    o.tenant = j->tenant;
    o.build = json_string_value(json_object_get(j->payload, "buildId"));
    o.release = json_string_value(json_object_get(j->payload, "releaseId"));
    err_clear(&err);
    if (outcome_record(env, &o, &err))
        job_fail(j, &err);
    else if (build_ended(o.to))
        job_done(j);
    else
        wait_for_run(j, b);
}

/* The build of the tenant's pipeline run that has not ended (*id "" for none), and its release. */
static enum err_code build_by_run(struct store_conn *c, const char *tenant, const char *pipeline, const char *run,
                                  char id[UUID_SIZE], char release[UUID_SIZE], struct err *err)
{
    struct store_stmt *st;
    int rc;

    id[0] = release[0] = '\0';
    /* The status is checked here, not in SQL: SQLite builds a temporary b-tree for a constant IN list at every run. */
    if (store_select(
            c, "SELECT id, releaseId, status FROM release_builds WHERE tenantId = ? AND pipelineIntegrationId = ? AND runId = ?",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(pipeline), STORE_TEXT(run)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        enum build_status s = build_status_parse(store_col_text(st, 2));
        if (s != BUILD_NONE && !build_ended(s)) {
            release_cols(st, 0, id, UUID_SIZE, release, UUID_SIZE, NULL);
            break;
        }
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/*
 * What webhook_done does with a completed run's event, done in the delivery's transaction instead (webhooks_on_build):
 * the same outcome on the same build, and the job waiting on the run ended with it, so a delivery is applied in one
 * transaction and no worker claims the job to end it. Only where the job would do no more than that: the run's build
 * has not ended, its release goes on (not cancelled, not finished), it is not past its deadline, and the event ends it.
 * Anything else (queued, running, a run no build has yet) is the job's, signalled as before (*applied false).
 */
enum err_code release_builds_webhook(struct store_conn *c, const char *tenant, const char *integration_id,
                                     const struct provider_event *ev, bool *applied, struct err *err)
{
    char id[UUID_SIZE], release[UUID_SIZE], key[JOB_EVENT_KEY_SIZE], message[300];
    json_t *event, *output;
    int64_t finished = 0;
    struct outcome o;
    struct build b;

    *applied = false;
    if (strcmp(ev->status, "completed") != 0 || build_by_run(c, tenant, integration_id, ev->run_id, id, release, err) || !id[0] ||
        build_load(c, tenant, id, &b, err))
        return err->code;
    if (!b.found || strcmp(b.release_status, "FINISHED") == 0 || build_stops(&b, message, sizeof message))
        return ERR_OK;
    event = webhooks_event_json(ev);
    o = webhook_outcome(event, &b, message, sizeof message);
    o.tenant = tenant;
    o.build = id;
    o.release = release;
    snprintf(key, sizeof key, "build:%s:%.200s", integration_id, ev->run_id); /* what wait_for_run waits on */
    if (!build_ended(build_move(build_status_parse(b.status), o.ci_status))) {
        json_decref(event);
        return ERR_OK;
    }
    if (outcome_apply(c, &o, &b, err) == ERR_OK) {
        output = json_pack("{s:s}", "status", build_status_name(o.to));
        /* A job not waiting just now (a poll of its own out) is signalled: it finds its build ended, and ends. */
        if (jobs_finish_waiting_in(c, key, output, &finished, err) == ERR_OK && finished == 0)
            jobs_signal_in(c, key, event, err);
        json_decref(output);
    }
    json_decref(event);
    *applied = err->code == ERR_OK;
    return err->code;
}

/* A step that cannot go on (no pipeline, one that cannot trigger): the build fails with the reason. */
static void refuse(const struct release_env *env, struct job *j, const char *reason)
{
    struct outcome o = {.job = j,
                        .tenant = j->tenant,
                        .build = json_string_value(json_object_get(j->payload, "buildId")),
                        .release = json_string_value(json_object_get(j->payload, "releaseId")),
                        .step = build_steps[j->step],
                        .message = reason,
                        .verdict = VERDICT_INVALID,
                        .refused = true};
    struct err err;

    err_clear(&err);
    if (outcome_record(env, &o, &err))
        job_fail(j, &err);
    else
        job_done(j);
}

/*
 * The build stops (build_stops: its release cancelled, or out of time),
 * after call, the cancel of its CI run, ended (NULL: there was no run to
 * cancel, or the CI cannot): recorded as the stop saved in j->data says.
 */
static void stop(const struct release_env *env, struct job *j, const struct provider_call *call)
{
    const char *to = json_string_value(json_object_get(j->data, "stop"));
    struct outcome o = {.job = j,
                        .tenant = j->tenant,
                        .build = json_string_value(json_object_get(j->payload, "buildId")),
                        .release = json_string_value(json_object_get(j->payload, "releaseId")),
                        .step = build_steps[B_CANCEL],
                        .message = json_string_value(json_object_get(j->data, "stopMessage")),
                        .call_message = call ? call->message : NULL,
                        .verdict = call ? call->verdict : VERDICT_VALID,
                        .details = call ? call->output : NULL,
                        .stop = to ? to : "cancelled"};
    struct err err;

    err_clear(&err);
    if (outcome_record(env, &o, &err))
        job_fail(j, &err);
    else
        job_done(j); /* a cancel the CI did not answer is on the timeline: the build is stopped either way */
}

struct pipeline_tx {
    struct job *j;
    struct build *b;
    const char *id, *release, *message;
};

/* The pipeline found (the build's row names it) or, the first time, the timeline saying why the build waits. */
static enum err_code pipeline_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct pipeline_tx *t = ctx;
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    if (pipeline_for(c, t->j->tenant, t->b->platform, t->b->pipeline, err))
        return err->code;
    if (t->b->pipeline[0])
        return store_run(c, "UPDATE release_builds SET pipelineIntegrationId = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                         STORE_ARGS(STORE_TEXT(t->b->pipeline), STORE_TIME(now), STORE_TEXT(t->j->tenant), STORE_TEXT(t->id)), NULL,
                         err);
    if (!json_is_true(json_object_get(t->j->data, "noted")))
        return release_event_add(
            c, t->j->tenant, t->release,
            &(struct release_event_row){.kind = "CALL", .name = "trigger-build", .outcome = "RETRY", .message = t->message}, err);
    return ERR_OK;
}

/*
 * No pipeline builds the platform: the build waits (the release stays
 * BUILDING, the timeline says why) until the configuration changes or a
 * pipeline of that platform is added (looked for again every 10 minutes).
 * Its writes run in tenant_tx, as every write the release page shows does
 * (the page is kept at the tenant's revision: release_get).
 */
static void pipeline_wait(const struct release_env *env, struct job *j, struct build *b)
{
    struct pipeline_tx t = {.j = j,
                            .b = b,
                            .id = json_string_value(json_object_get(j->payload, "buildId")),
                            .release = json_string_value(json_object_get(j->payload, "releaseId"))};
    struct store_conn *c = NULL;
    char key[JOB_EVENT_KEY_SIZE], message[300];
    struct err err;

    err_clear(&err);
    snprintf(message, sizeof message,
             "no pipeline builds %s: name one in the release configuration's platformPipelines, or give a pipeline that "
             "platform; the build starts then",
             b->platform);
    t.message = message;
    if (store_conn_get(env->store, &c, &err) == ERR_OK)
        tenant_tx(c, j->tenant, pipeline_body, &t, &err);
    store_conn_put(c);
    if (err.code) {
        job_fail(j, &err);
    } else if (b->pipeline[0]) {
        job_next(j, B_TRIGGER);
    } else {
        json_object_set_new(j->data, "noted", json_true());
        snprintf(key, sizeof key, RELEASE_CONFIG_SIGNAL "%s", j->tenant);
        job_wait(j, B_TRIGGER, key, clock_now_ms() + 600000);
    }
}

void release_build_step(void *ctx, struct job *j)
{
    const struct release_env *env = ctx;
    const char *release = json_string_value(json_object_get(j->payload, "releaseId"));
    const char *id = json_string_value(json_object_get(j->payload, "buildId"));
    struct provider_call *call = provider_call_of(j);
    struct store_conn *db = NULL;
    char key[JOB_EVENT_KEY_SIZE], message[300];
    const char *to;
    struct build b;
    struct err err;

    err_clear(&err);
    if (!release || !id || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a build: the payload names no release and build");
        job_fail(j, &err);
        return;
    }
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        build_load(db, j->tenant, id, &b, &err);
    store_conn_put(db);
    if (err.code) {
        job_fail(j, &err);
        return;
    }
    if (call && j->step == B_CANCEL) {
        stop(env, j, call);
        return;
    }
    if (call) {
        call_done(env, j, &b, call);
        return;
    }
    if (!b.found || build_ended(build_status_parse(b.status)) || strcmp(b.release_status, "FINISHED") == 0) {
        j->output = json_pack("{s:s}", "status", b.found ? b.status : "GONE");
        job_done(j);
        return;
    }
    if (j->step != B_CANCEL && (to = build_stops(&b, message, sizeof message))) {
        json_object_set_new(j->data, "stop", json_string(to));
        json_object_set_new(j->data, "stopMessage", json_string(message));
        if (b.run[0])
            job_next(j, B_CANCEL); /* its CI run is cancelled first */
        else
            stop(env, j, NULL);
        return;
    }
    if (j->step == B_TRIGGER && b.run[0]) {
        job_next(j, B_WAIT); /* triggered by an earlier run of this step */
        return;
    }
    if (j->step == B_TRIGGER && strcmp(b.release_status, "BUILDING") != 0) { /* paused or blocked: until resumed or retried */
        snprintf(key, sizeof key, "release-resume:%s", release);
        job_wait(j, B_TRIGGER, key, JOB_NO_DEADLINE);
        return;
    }
    if (j->step == B_TRIGGER && !b.pipeline[0]) {
        pipeline_wait(env, j, &b);
        return;
    }
    if (j->step == B_WAIT && j->event) {
        webhook_done(env, j, &b);
        return;
    }
    if (j->step == B_WAIT && !j->timed_out) {
        wait_for_run(j, &b);
        return;
    }
    if (j->step == B_WAIT) {
        job_next(j, B_POLL); /* no webhook in time: ask */
        return;
    }
    if (start_call(env, j, &b, &err) && j->step == B_CANCEL)
        stop(env, j, NULL); /* the CI cannot cancel: the build stops here all the same */
    else if (err.code)
        refuse(env, j, err.message);
}

enum err_code release_builds_wake(struct store_conn *c, const char *tenant, const char *release, struct err *err)
{
    struct store_stmt *st;
    json_t *keys = json_array(), *key;
    char k[JOB_EVENT_KEY_SIZE];
    size_t i;
    int rc;

    if (store_select(c,
                     "SELECT pipelineIntegrationId, runId FROM release_builds WHERE tenantId = ? AND releaseId = ? AND "
                     "status IN ('QUEUED', 'RUNNING') AND runId IS NOT NULL",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err) == ERR_OK) {
        while ((rc = store_next(st, err)) == 1) {
            snprintf(k, sizeof k, "build:%s:%.200s", store_col_text(st, 0) ? store_col_text(st, 0) : "", store_col_text(st, 1));
            json_array_append_new(keys, json_string(k));
        }
        store_finish(st);
    }
    json_array_foreach(keys, i, key)
    {
        if (err->code || jobs_signal_in(c, json_string_value(key), NULL, err))
            break;
    }
    json_decref(keys);
    return err->code;
}
