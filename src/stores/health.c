/* health.c: health-gated rollouts (health.h, docs/stores.md "Health-gated rollouts"). */
#include "stores/health.h"

#include <inttypes.h>

#include "core/clock.h"
#include "core/log.h"
#include "crypto/secret.h"
#include "http/jsonw.h"
#include "http/request.h"
#include "integrations/catalog.h"
#include "jobs/jobs.h"
#include "jobs/sweep.h"
#include "providers/fields.h"
#include "providers/registry.h"
#include "releases/releases.h"
#include "tenancy/tenants.h"
#include "verify/verify.h"

#define SWEEP_BATCH 500 /* submissions a sweep queues a check of, at most */
#define MINUTE_MS 60000

#define MAX_ERRORS 1000000000 /* an errorCount threshold's ceiling */

static const char *const metrics[] = {"crashFreeSessions", "crashFreeUsers", "errorCount", NULL};

/* The rule's metric is a count of errors (a breach above its threshold), not a crash-free percentage (below). */
static bool counts_errors(const json_t *rule)
{
    const char *metric = json_string_value(json_object_get(rule, "metric"));
    return metric && strcmp(metric, "errorCount") == 0;
}

/* ---- the rule ---- */

const char *health_rule_check(json_t *v)
{
    const char *key, *metric = json_string_value(json_object_get(v, "metric"));
    json_t *x;
    bool known = false;

    if (json_object_size(v) == 0)
        return NULL; /* none, as rolloutPlan's [] */
    json_object_foreach(v, key, x)
    {
        if (strcmp(key, "monitoringIntegrationId") != 0 && strcmp(key, "metric") != 0 && strcmp(key, "threshold") != 0 &&
            strcmp(key, "windowMinutes") != 0)
            return "must have monitoringIntegrationId, metric, threshold and windowMinutes only";
    }
    if (!json_is_string(json_object_get(v, "monitoringIntegrationId")) || check_uuid(json_object_get(v, "monitoringIntegrationId")))
        return "must name its monitoring integration (monitoringIntegrationId, a UUID)";
    for (size_t i = 0; metric && metrics[i]; i++)
        known = known || strcmp(metrics[i], metric) == 0;
    if (!known)
        return "must have metric crashFreeSessions, crashFreeUsers or errorCount";
    x = json_object_get(v, "threshold");
    if (counts_errors(v) && (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > MAX_ERRORS))
        return "must have a threshold of 0 to 1000000000 errors (a whole number) for errorCount";
    if (!counts_errors(v) && (!json_is_number(x) || json_number_value(x) <= 0 || json_number_value(x) > 100))
        return "must have a threshold above 0 and at most 100 (a percentage)";
    x = json_object_get(v, "windowMinutes");
    if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > 1440)
        return "must have windowMinutes of 0 to 1440 (a day)";
    return NULL;
}

enum err_code health_rule_save(struct store_conn *c, const char *tenant, const char *submission, const json_t *rule,
                               struct err *err)
{
    struct store_stmt *st;
    char *text;
    int rc;

    if (json_object_size(rule) == 0)
        return ERR_OK;
    if (store_select(
            c, "SELECT monitoringType FROM tenant_monitoring_integrations WHERE tenantId = ? AND id = ?",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(json_string_value(json_object_get(rule, "monitoringIntegrationId")))), &st,
            err))
        return err->code;
    rc = store_next(st, err);
    store_finish(st);
    if (rc <= 0) {
        if (rc < 0)
            return err->code;
        err_detail(err, "healthRule", "monitoringIntegrationId is not a monitoring integration of this tenant");
        return err_set(err, ERR_INVALID, "invalid submission");
    }
    text = json_dumps(rule, JSON_COMPACT);
    store_run(c, "UPDATE store_submissions SET healthRule = ? WHERE tenantId = ? AND id = ?",
              STORE_ARGS(STORE_TEXT(text), STORE_TEXT(tenant), STORE_TEXT(submission)), NULL, err);
    free(text);
    return err->code;
}

/* ---- the sweep: a check of each rolling-out submission with a rule ---- */

/* A watched submission (id, tenantId): one check queued a pass (its dedupe key names the sweep's cycle). */
static enum err_code sweep_due(struct store_conn *c, const void *ctx, const struct job *j, const char *const *cols, struct err *err)
{
    const struct stores_env *env = ctx;
    char job[UUID_SIZE], dedupe[100];
    json_t *payload = json_pack("{s:s}", "submissionId", cols[0]);

    snprintf(dedupe, sizeof dedupe, "store-health:%s:%d", cols[0], j->cycle);
    jobs_enqueue_in(
        c, env->jobs,
        &(struct job_new){.kind = STORE_HEALTH_JOB, .tenant = cols[1], .payload = payload, .dedupe_key = dedupe, .max_attempts = 1},
        job, err);
    json_decref(payload);
    return err->code;
}

void health_sweep_step(void *ctx, struct job *j)
{
    const struct stores_env *env = ctx;
    const struct store_val args[] = {STORE_INT(SWEEP_BATCH)};

    sweep_pass(&(struct sweep){.name = "the health sweep",
                               .store = env->store,
                               .jobs = env->jobs,
                               .sql = "SELECT id, tenantId FROM store_submissions WHERE status = 'ROLLING_OUT' AND "
                                      "healthRule IS NOT NULL ORDER BY id LIMIT ?",
                               .args = args,
                               .nargs = ARRAY_LEN(args),
                               .ncols = 2,
                               .due = sweep_due,
                               .ctx = env},
               j);
}

/* ---- one check ---- */

/* A rolling-out submission with its rule, as the check reads it. */
struct watched {
    bool found;
    char release[UUID_SIZE], platform[16], target_type[16], status[16], version[64];
    json_t *rule; /* owned */
};

static enum err_code watched_load(struct store_conn *c, const char *tenant, const char *id, struct watched *w, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(w, 0, sizeof *w);
    if (store_select(c,
                     "SELECT s.releaseId, s.platform, s.targetType, s.status, r.version, s.healthRule FROM store_submissions s "
                     "JOIN releases r ON r.id = s.releaseId AND r.tenantId = s.tenantId WHERE s.tenantId = ? AND s.id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        release_cols(st, 0, w->release, sizeof w->release, w->platform, sizeof w->platform, w->target_type, sizeof w->target_type,
                     w->status, sizeof w->status, w->version, sizeof w->version, NULL);
        w->rule = store_col_text(st, 5) ? json_loads(store_col_text(st, 5), 0, NULL) : NULL;
        w->found = w->rule != NULL && strcmp(w->status, "ROLLING_OUT") == 0;
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

struct reading_tx {
    struct job *job;
    const struct stores_env *env;
    const char *id;
    const struct watched *w;
    const json_t *value;  /* the metric's figure (a percentage or a count), or NULL: none */
    const json_t *counts; /* a provider's running counts of the metric, [total, bad] (Bugsnag), or NULL */
    const char *error;    /* why there is none, or NULL */
    json_t *windowed;     /* owned: the rate over the rule's window made from counts (window_rate) */
    const json_t *given;  /* value and error as the call gave them: a transaction run again starts from them */
    const char *given_error;
};

/* The metric's name for a person. */
static const char *metric_text(const char *metric)
{
    if (strcmp(metric, "errorCount") == 0)
        return "error count";
    return strcmp(metric, "crashFreeUsers") == 0 ? "crash-free users" : "crash-free sessions";
}

/* The figure is on the wrong side of the rule's threshold: more errors than it allows, or fewer crash-free. */
static bool breaches(const json_t *rule, double value)
{
    double threshold = json_number_value(json_object_get(rule, "threshold"));
    return counts_errors(rule) ? value > threshold : value < threshold;
}

/*
 * The breach has lasted its window: every staged rollout of the release
 * still rolling out is halted (the editors' halt, by slipway), and the
 * timeline says why. A submission with an action under way is left to the
 * next check.
 */
static enum err_code halt_release(struct store_conn *c, const struct reading_tx *t, double value, int64_t since_ms, struct err *err)
{
    const char *tenant = t->job->tenant, *metric = json_string_value(json_object_get(t->w->rule, "metric")), *unit;
    double threshold = json_number_value(json_object_get(t->w->rule, "threshold"));
    char since[TIMESTAMP_SIZE], msg[500];
    json_t *ids = json_array(), *halted = json_array(), *details, *x;
    struct store_stmt *st;
    size_t i;

    if (store_select(c, "SELECT id FROM store_submissions WHERE tenantId = ? AND releaseId = ? AND status = 'ROLLING_OUT'",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->w->release)), &st, err) == ERR_OK) {
        while (store_next(st, err) == 1)
            json_array_append_new(ids, json_string(store_col_text(st, 0)));
        store_finish(st);
    }
    clock_format(since_ms, since);
    unit = counts_errors(t->w->rule) ? "" : "%";
    snprintf(msg, sizeof msg, "%s of %s at %g%s, %s the threshold of %g%s since %s: staged rollouts halted", metric_text(metric),
             t->w->platform, value, unit, counts_errors(t->w->rule) ? "above" : "below", threshold, unit, since);
    json_array_foreach(ids, i, x)
    {
        struct err e;
        err_clear(&e);
        if (err->code)
            break;
        if (submission_ask(
                c, t->env->jobs, NULL, tenant,
                &(struct submission_ask){
                    .release = t->w->release, .id = json_string_value(x), .action = "halt", .event = SEV_HALT, .reason = msg},
                &e) == ERR_OK)
            json_array_append(halted, x);
        else if (e.code != ERR_CONFLICT) /* an action under way: the next check halts it */
            *err = e;
    }
    if (!err->code && json_array_size(halted) > 0) {
        details = json_pack("{s:s, s:s, s:s, s:f, s:f, s:O, s:s, s:O}", "submissionId", t->id, "platform", t->w->platform, "metric",
                            metric, "value", value, "threshold", threshold, "windowMinutes",
                            json_object_get(t->w->rule, "windowMinutes"), "since", since, "halted", halted);
        release_event_add(
            c, tenant, t->w->release,
            &(struct release_event_row){.kind = "STATUS", .name = "health-breached", .message = msg, .details = details}, err);
        json_decref(details);
    }
    json_decref(ids);
    json_decref(halted);
    return err->code;
}

/* The latest kept counts of the submission at or before at (oldest: the earliest kept instead); false when none. */
static bool counts_at(struct store_conn *c, const struct reading_tx *t, const char *at, bool oldest, int64_t *total, int64_t *bad,
                      char *read_at, struct err *err)
{
    struct store_stmt *st;
    bool found = false;

    if (store_select(c,
                     oldest ? "SELECT readAt, total, bad FROM store_health_counts WHERE tenantId = ? AND submissionId = ? "
                              "AND readAt <= ? ORDER BY readAt ASC LIMIT 1"
                            : "SELECT readAt, total, bad FROM store_health_counts WHERE tenantId = ? AND submissionId = ? "
                              "AND readAt <= ? ORDER BY readAt DESC LIMIT 1",
                     STORE_ARGS(STORE_TEXT(t->job->tenant), STORE_TEXT(t->id), STORE_TIME(at)), &st, err))
        return false;
    if (store_next(st, err) == 1) {
        found = true;
        snprintf(read_at, TIMESTAMP_SIZE, "%s", store_col_text(st, 0));
        *total = store_col_int(st, 1);
        *bad = store_col_int(st, 2);
    }
    store_finish(st);
    return found && !err->code;
}

/*
 * A provider that answers only a release's running counts (Bugsnag): this
 * reading's counts kept, and the rate over the rule's window made of the
 * difference from the latest reading at least the window old (a window of
 * 0: an hour, as the error count reads), else from the oldest kept (the
 * window not filled yet). The first reading has nothing to difference: the
 * release's own rate stands. No session in the window: no figure. Readings
 * older than the one the window starts at are dropped. Sets t->value.
 */
static enum err_code window_rate(struct store_conn *c, struct reading_tx *t, int64_t now_ms, struct err *err)
{
    int64_t minutes = json_integer_value(json_object_get(t->w->rule, "windowMinutes"));
    int64_t total = json_integer_value(json_array_get(t->counts, 0)), bad = json_integer_value(json_array_get(t->counts, 1));
    int64_t base_total = 0, base_bad = 0;
    char now[TIMESTAMP_SIZE], edge[TIMESTAMP_SIZE], base_at[TIMESTAMP_SIZE];
    bool found;

    clock_format(now_ms, now);
    clock_format(now_ms - (minutes > 0 ? minutes : 60) * MINUTE_MS, edge);
    found = counts_at(c, t, edge, false, &base_total, &base_bad, base_at, err) ||
            (!err->code && counts_at(c, t, now, true, &base_total, &base_bad, base_at, err));
    if (err->code ||
        (found && store_run(c, "DELETE FROM store_health_counts WHERE tenantId = ? AND submissionId = ? AND readAt < ?",
                            STORE_ARGS(STORE_TEXT(t->job->tenant), STORE_TEXT(t->id), STORE_TIME(base_at)), NULL, err)) ||
        store_run(c, "INSERT INTO store_health_counts (submissionId, tenantId, readAt, total, bad) VALUES (?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(t->job->tenant), STORE_TIME(now), STORE_INT(total), STORE_INT(bad)),
                  NULL, err))
        return err->code;
    if (!found || bad < base_bad || total < base_total)
        return ERR_OK; /* nothing to difference (or the counts were reset): the release's own rate */
    t->windowed = total > base_total ? json_real(100.0 * (1.0 - (double)(bad - base_bad) / (double)(total - base_total))) : NULL;
    t->value = t->windowed;
    if (!t->value)
        t->error = "no session of this version in the rule's window";
    return ERR_OK;
}

/*
 * The reading, in one transaction with its consequence and the job's end:
 * the figure (a provider that did not answer keeps the last one, with the
 * error), since when it has breached the threshold (kept while there is
 * no figure: a silent provider neither proves nor ends a breach), and, the
 * breach having lasted the window, the halt.
 */
static enum err_code reading_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct reading_tx *t = ctx;
    const char *tenant = t->job->tenant;
    int64_t now_ms = clock_now_ms(), since_ms = 0, changes = 0;
    int64_t window_ms = json_integer_value(json_object_get(t->w->rule, "windowMinutes")) * MINUTE_MS;
    double value;
    char now[TIMESTAMP_SIZE], since[TIMESTAMP_SIZE];
    struct store_val milli, at;
    struct store_stmt *st;
    bool breached;

    json_decref(t->windowed);
    t->windowed = NULL;
    t->value = t->given;
    t->error = t->given_error;
    if (json_is_array(t->counts) && json_is_number(t->value) && window_rate(c, t, now_ms, err))
        return err->code;
    value = json_number_value(t->value);
    breached = json_is_number(t->value) && breaches(t->w->rule, value);

    if (store_select(c, "SELECT breachSince FROM store_health WHERE tenantId = ? AND submissionId = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->id)), &st, err))
        return err->code;
    if (store_next(st, err) == 1 && store_col_text(st, 0) && clock_parse(store_col_text(st, 0), &since_ms))
        since_ms = 0;
    store_finish(st);
    if (err->code)
        return err->code;
    if (breached && !since_ms)
        since_ms = now_ms; /* the breach begins */
    else if (!breached && json_is_number(t->value))
        since_ms = 0; /* healthy again */
    clock_format(now_ms, now);
    if (since_ms)
        clock_format(since_ms, since);
    milli = json_is_number(t->value) ? STORE_INT((int64_t)(value * 1000.0 + 0.5)) : STORE_NULL;
    at = since_ms ? STORE_TIME(since) : STORE_NULL;
    if (store_run(c,
                  "UPDATE store_health SET valueMilli = COALESCE(?, valueMilli), breachSince = ?, checkedAt = ?, error = ? "
                  "WHERE tenantId = ? AND submissionId = ?",
                  STORE_ARGS(milli, at, STORE_TIME(now), STORE_TEXT(t->error), STORE_TEXT(tenant), STORE_TEXT(t->id)), &changes,
                  err) ||
        (changes == 0 &&
         store_run(c,
                   "INSERT INTO store_health (submissionId, tenantId, releaseId, valueMilli, breachSince, checkedAt, error) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(tenant), STORE_TEXT(t->w->release), milli, at, STORE_TIME(now),
                              STORE_TEXT(t->error)),
                   NULL, err)))
        return err->code;
    if (breached && now_ms - since_ms >= window_ms && halt_release(c, t, value, since_ms, err))
        return err->code;
    return job_done_in(c, t->job, err);
}

static void record(const struct stores_env *env, struct job *j, const char *id, const struct watched *w, const json_t *value,
                   const json_t *counts, const char *error)
{
    struct reading_tx t = {.job = j,
                           .env = env,
                           .id = id,
                           .w = w,
                           .value = value,
                           .counts = counts,
                           .error = error,
                           .given = value,
                           .given_error = error};
    struct store_conn *c = NULL;
    struct err err;

    err_clear(&err);
    if (store_conn_get(env->store, &c, &err) == ERR_OK)
        tenant_tx(c, j->tenant, reading_body, &t, &err);
    store_conn_put(c);
    json_decref(t.windowed);
    if (err.code)
        job_fail(j, &err);
    else
        job_done(j); /* recorded with the reading */
}

/* Starts the rule's monitoring_health call (j parks); ERR_CONFLICT when its integration is gone or cannot read health. */
static enum err_code start_call(const struct stores_env *env, struct job *j, const struct watched *w, struct err *err)
{
    const char *integration = json_string_value(json_object_get(w->rule, "monitoringIntegrationId"));
    const struct provider *p;
    struct store_conn *db = NULL;
    json_t *config = NULL, *scm = NULL;

    if (store_conn_get(env->store, &db, err) == ERR_OK)
        verify_load(db, env->keys, category_get(CAT_MONITORING), j->tenant, integration, NULL, &config, &scm, err);
    store_conn_put(db);
    if (err->code == ERR_NOT_FOUND)
        return err_set(err, ERR_CONFLICT, "the health rule's monitoring integration was deleted");
    if (err->code)
        return err->code;
    p = provider_by_type(json_string_value(json_object_get(config, "type")));
    if (!p || !p->ops->monitoring_health) {
        secret_wipe_json(config);
        secret_wipe_json(scm);
        json_decref(config);
        json_decref(scm);
        return err_set(err, ERR_CONFLICT, "the health rule's monitoring integration cannot read a release's health");
    }
    provider_call_in_job(
        provider_call_new(env->loop, p, p->ops->monitoring_health, config, scm,
                          json_pack("{s:s, s:O, s:O}", "version", w->version, "metric", json_object_get(w->rule, "metric"),
                                    "windowMinutes", json_object_get(w->rule, "windowMinutes")),
                          NULL, NULL),
        j);
    return ERR_OK;
}

void health_check_step(void *ctx, struct job *j)
{
    const struct stores_env *env = ctx;
    const char *id = json_string_value(json_object_get(j->payload, "submissionId"));
    struct provider_call *call = provider_call_of(j);
    struct store_conn *db = NULL;
    struct watched w;
    struct err err;

    err_clear(&err);
    if (!id || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a health check: the payload names no submission");
        job_fail(j, &err);
        return;
    }
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        watched_load(db, j->tenant, id, &w, &err);
    store_conn_put(db);
    if (err.code) {
        job_fail(j, &err);
        return;
    }
    if (!w.found) {
        json_decref(w.rule); /* gone, no rule, or no longer rolling out: nothing to watch */
        job_done(j);
        return;
    }
    if (call && call->verdict == VERDICT_VALID) {
        record(env, j, id, &w, json_object_get(call->output, json_string_value(json_object_get(w.rule, "metric"))),
               json_object_get(json_object_get(call->output, "counts"), json_string_value(json_object_get(w.rule, "metric"))),
               json_is_number(json_object_get(call->output, json_string_value(json_object_get(w.rule, "metric"))))
                   ? NULL
                   : "the monitoring provider has no figures of this version yet");
    } else if (call) { /* not answered, or refused: reported, never a breach */
        record(env, j, id, &w, NULL, NULL, call->message);
    } else if (start_call(env, j, &w, &err)) {
        record(env, j, id, &w, NULL, NULL, err.message);
    }
    json_decref(w.rule);
}

/* ---- the release's read ---- */

json_t *health_read(struct store_conn *db, const char *tenant, const char *release, struct err *err)
{
    json_t *all = json_array(), *rule;
    struct store_stmt *st;

    if (store_select(
            db,
            "SELECT s.id, s.platform, s.targetType, s.status, s.healthRule, h.valueMilli, h.breachSince, h.checkedAt, "
            "h.error FROM store_submissions s LEFT JOIN store_health h ON h.tenantId = s.tenantId AND h.submissionId = s.id "
            "WHERE s.tenantId = ? AND s.releaseId = ? AND s.healthRule IS NOT NULL ORDER BY s.createdAt, s.id",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err) == ERR_OK) {
        while (store_next(st, err) == 1) {
            rule = json_loads(store_col_text(st, 4), 0, NULL);
            json_array_append_new(
                all, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "submissionId", store_col_text(st, 0), "platform",
                               store_col_text(st, 1), "target", store_col_text(st, 2), "status", store_col_text(st, 3), "rule",
                               rule ? rule : json_null(), "value",
                               store_col_text(st, 5) ? json_real((double)store_col_int(st, 5) / 1000.0) : json_null(),
                               "breachSince", json_text_or_null(store_col_text(st, 6)), "checkedAt",
                               json_text_or_null(store_col_text(st, 7)), "error", json_text_or_null(store_col_text(st, 8))));
        }
        store_finish(st);
    }
    return all;
}

enum err_code health_write(struct store_conn *db, struct jsonw *w, const char *tenant, const char *release, struct err *err)
{
    json_t *all = health_read(db, tenant, release, err);
    char *text = json_dumps(all, JSON_COMPACT);

    jsonw_key(w, "health");
    jsonw_raw(w, text, "[]");
    free(text);
    json_decref(all);
    return err->code;
}
