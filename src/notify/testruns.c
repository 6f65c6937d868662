/* testruns.c: a release candidate's test run, opened and read as a durable job, and the approval's gate (testruns.h). */
#include "notify/testruns.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "crypto/secret.h"
#include "http/page.h"
#include "integrations/catalog.h"
#include "jobs/jobs.h"
#include "notify/notify.h"
#include "notify/tickets.h"
#include "providers/registry.h"
#include "tenancy/roles.h"
#include "verify/verify.h"

#define TESTRUNS_MAX_ATTEMPTS 10

static const char *const counts[] = {"passed", "failed", "blocked", "retest", "untested", "other"};

static const char *text_of(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

/* The signal that has the job of (integration, release, candidate) read its run now. */
static void refresh_key(char out[JOB_EVENT_KEY_SIZE], const char *integration, const char *release, int64_t candidate)
{
    snprintf(out, JOB_EVENT_KEY_SIZE, "test-run-refresh:%s:%s:%lld", integration, release, (long long)candidate);
}

/* ---- enqueuing ---- */

/* What the job reads of its release. */
struct rel_state {
    char status[17], version[65];
    int64_t candidate;
    bool found;
};

static enum err_code rel_load(struct store_conn *c, const char *tenant, const char *release, struct rel_state *s, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(s, 0, sizeof *s);
    if (store_select(c, "SELECT status, version, candidateNumber FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        s->found = true;
        snprintf(s->status, sizeof s->status, "%s", store_col_text(st, 0));
        snprintf(s->version, sizeof s->version, "%s", store_col_text(st, 1));
        s->candidate = store_col_int(st, 2);
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* True while candidate is the one the release is building or testing: its run is read. */
static bool under_test(const struct rel_state *s, int64_t candidate)
{
    return s->found && s->candidate == candidate && (strcmp(s->status, "BUILDING") == 0 || strcmp(s->status, "REGRESSION") == 0);
}

enum err_code testruns_release_change(struct store_conn *c, struct jobs *q, const char *tenant, const char *release,
                                      const char *kind, const char *name, struct err *err)
{
    char dedupe[255], job[UUID_SIZE], key[JOB_EVENT_KEY_SIZE];
    const struct provider *p;
    struct store_stmt *st;
    struct rel_state s;
    json_t *payload;
    int rc;

    if (strcmp(kind, "STATUS") != 0 || (strcmp(name, "kickoff-done") != 0 && strcmp(name, "new-candidate") != 0))
        return ERR_OK;
    if (rel_load(c, tenant, release, &s, err) || !s.found)
        return err->code;
    if (store_select(c,
                     "SELECT id, testManagementType FROM tenant_test_management_integrations WHERE tenantId = ? AND isActive = ? "
                     "ORDER BY id",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_BOOL(true)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        if (!(p = provider_by_type(store_col_text(st, 1))) || !p->ops->test_run_open)
            continue;
        if (!q) {
            err_set(err, ERR_UNAVAILABLE, "notifications are not started yet");
            break;
        }
        /* TestRail's clock may differ from ours: the search looks a day further back than the candidate */
        payload =
            json_pack("{s:s, s:s, s:I, s:s, s:I}", "releaseId", release, "integrationId", store_col_text(st, 0), "candidate",
                      (json_int_t)s.candidate, "version", s.version, "createdAfter", (json_int_t)(clock_now_ms() / 1000 - 86400));
        snprintf(dedupe, sizeof dedupe, "%s:%s:%s:%lld", TESTRUNS_JOB, store_col_text(st, 0), release, (long long)s.candidate);
        jobs_enqueue_in(c, q,
                        &(struct job_new){.kind = TESTRUNS_JOB,
                                          .tenant = tenant,
                                          .payload = payload,
                                          .dedupe_key = dedupe,
                                          .max_attempts = TESTRUNS_MAX_ATTEMPTS},
                        job, err);
        json_decref(payload);
        refresh_key(key, store_col_text(st, 0), release, s.candidate - 1);
        if (err->code || (s.candidate > 1 && jobs_signal_in(c, key, NULL, err))) /* the replaced candidate's last read */
            break;
    }
    store_finish(st);
    return err->code;
}

/* ---- the job ---- */

struct run_row {
    char id[UUID_SIZE], run[65];
    bool found;
};

static enum err_code row_load(struct store_conn *c, const struct job *j, struct run_row *r, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(r, 0, sizeof *r);
    if (store_select(c,
                     "SELECT id, runId FROM release_test_runs WHERE tenantId = ? AND releaseId = ? AND integrationId = ? "
                     "AND candidateNumber = ?",
                     STORE_ARGS(STORE_TEXT(j->tenant), STORE_TEXT(text_of(j->payload, "releaseId")),
                                STORE_TEXT(text_of(j->payload, "integrationId")),
                                STORE_INT(json_integer_value(json_object_get(j->payload, "candidate")))),
                     &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        r->found = true;
        snprintf(r->id, sizeof r->id, "%s", store_col_text(st, 0));
        snprintf(r->run, sizeof r->run, "%s", store_col_text(st, 1));
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* What a finished call changes, in one transaction. */
struct change {
    const struct job *j;
    const struct provider_call *call;
    bool tested; /* out: the candidate is still under test, so its run is read again */
};

static enum err_code change_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct change *ch = ctx;
    const struct job *j = ch->j;
    const json_t *out = ch->call->output;
    int64_t candidate = json_integer_value(json_object_get(j->payload, "candidate")), n[ARRAY_LEN(counts)] = {0};
    bool valid = ch->call->verdict == VERDICT_VALID;
    char now[TIMESTAMP_SIZE], run[65];
    struct rel_state s;
    struct run_row r;

    clock_now(now);
    if (rel_load(c, j->tenant, text_of(j->payload, "releaseId"), &s, err) || row_load(c, j, &r, err))
        return err->code;
    ch->tested = valid && under_test(&s, candidate);
    for (size_t i = 0; i < ARRAY_LEN(counts); i++)
        n[i] = json_integer_value(json_object_get(out, counts[i]));
    if (!r.found) {
        if (!valid) /* the run was never opened: the job's output says why */
            return ERR_OK;
        rand_uuid(r.id);
        snprintf(run, sizeof run, "%lld", (long long)json_integer_value(json_object_get(out, "runId")));
        return store_run(c,
                         "INSERT INTO release_test_runs (id, tenantId, releaseId, candidateNumber, integrationId, provider, runId, "
                         "name, url, passed, failed, blocked, retest, untested, other, status, lastReadAt, createdAt, updatedAt) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         STORE_ARGS(STORE_TEXT(r.id), STORE_TEXT(j->tenant), STORE_TEXT(text_of(j->payload, "releaseId")),
                                    STORE_INT(candidate), STORE_TEXT(text_of(j->payload, "integrationId")),
                                    STORE_TEXT(ch->call->prov->type), STORE_TEXT(run), STORE_TEXT(text_of(out, "name")),
                                    STORE_TEXT(text_of(out, "url")), STORE_INT(n[0]), STORE_INT(n[1]), STORE_INT(n[2]),
                                    STORE_INT(n[3]), STORE_INT(n[4]), STORE_INT(n[5]), STORE_TEXT(ch->tested ? "ACTIVE" : "DONE"),
                                    STORE_TIME(now), STORE_TIME(now), STORE_TIME(now)),
                         NULL, err);
    }
    if (!valid) /* a refusal (the run deleted, the key revoked): said on the row, and no longer read */
        return store_run(
            c, "UPDATE release_test_runs SET status = 'DONE', lastError = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
            STORE_ARGS(STORE_TEXT(ch->call->message), STORE_TIME(now), STORE_TEXT(j->tenant), STORE_TEXT(r.id)), NULL, err);
    return store_run(c,
                     "UPDATE release_test_runs SET passed = ?, failed = ?, blocked = ?, retest = ?, untested = ?, other = ?, "
                     "status = ?, lastError = NULL, lastReadAt = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_INT(n[0]), STORE_INT(n[1]), STORE_INT(n[2]), STORE_INT(n[3]), STORE_INT(n[4]),
                                STORE_INT(n[5]), STORE_TEXT(ch->tested ? "ACTIVE" : "DONE"), STORE_TIME(now), STORE_TIME(now),
                                STORE_TEXT(j->tenant), STORE_TEXT(r.id)),
                     NULL, err);
}

static void finish_call(const struct notify_env *env, struct job *j, struct provider_call *call)
{
    struct change ch = {.j = j, .call = call};
    char key[JOB_EVENT_KEY_SIZE];
    struct store_conn *c = NULL;
    struct err err;

    err_clear(&err);
    if (call->verdict == VERDICT_NONE) {
        err_set(&err, ERR_UNAVAILABLE, "%s", call->message);
        job_fail(j, &err); /* again after the engine's backoff */
        return;
    }
    if (call->verdict != VERDICT_VALID) {
        log_warn("test run of release %s in %s refused: %s", text_of(j->payload, "releaseId"), text_of(j->payload, "integrationId"),
                 call->message);
        j->output = json_pack("{s:s}", "error", call->message);
    }
    if (store_conn_get(env->store, &c, &err) == ERR_OK)
        store_tx(c, change_body, &ch, &err);
    store_conn_put(c);
    if (err.code) {
        job_fail(j, &err);
    } else if (ch.tested) { /* read again after a while, or when asked */
        refresh_key(key, text_of(j->payload, "integrationId"), text_of(j->payload, "releaseId"),
                    json_integer_value(json_object_get(j->payload, "candidate")));
        job_wait(j, 0, key, clock_now_ms() + TESTRUNS_POLL_S * 1000);
    } else {
        job_done(j);
    }
}

/* Starts j's call (j parks): the run opened when it has no row yet, else read; or ends j when its integration is gone. */
static void start(const struct notify_env *env, struct job *j)
{
    const char *integration = text_of(j->payload, "integrationId");
    json_int_t candidate = json_integer_value(json_object_get(j->payload, "candidate"));
    char name[128], description[300];
    struct store_conn *db = NULL;
    json_t *config = NULL, *scm = NULL, *input;
    const struct provider *p = NULL;
    struct run_row r = {0};
    struct err err;

    err_clear(&err);
    if (store_conn_get(env->store, &db, &err) == ERR_OK &&
        verify_load(db, env->keys, category_get(CAT_TEST_MANAGEMENT), j->tenant, integration, NULL, &config, &scm, &err) == ERR_OK)
        row_load(db, j, &r, &err);
    store_conn_put(db);
    json_decref(scm);
    p = err.code ? NULL : provider_by_type(text_of(config, "type"));
    if (err.code == ERR_NOT_FOUND ||
        (!err.code && (!p || !p->ops->test_run_open || json_is_false(json_object_get(config, "isActive"))))) {
        job_done(j); /* the integration is gone or switched off */
    } else if (err.code) {
        job_fail(j, &err);
    } else {
        if (r.found) {
            input = json_pack("{s:I}", "runId", (json_int_t)strtoll(r.run, NULL, 10));
        } else {
            snprintf(name, sizeof name, "%s RC%lld", text_of(j->payload, "version"), (long long)candidate);
            snprintf(description, sizeof description, "Release %s, candidate %lld, by slipway", text_of(j->payload, "version"),
                     (long long)candidate);
            input = json_pack("{s:s, s:s, s:O}", "name", name, "description", description, "createdAfter",
                              json_object_get(j->payload, "createdAfter"));
        }
        provider_call_in_job(provider_call_new(env->loop, p, r.found ? p->ops->test_run_read : p->ops->test_run_open, config, NULL,
                                               input, NULL, NULL),
                             j);
        return;
    }
    secret_wipe_json(config);
    json_decref(config);
}

void testruns_step(void *ctx, struct job *j)
{
    struct provider_call *call = provider_call_of(j);
    if (call)
        finish_call(ctx, j, call);
    else
        start(ctx, j);
}

/* ---- the gate ---- */

/* The run's tests of every status, and the passed among them, from the row's counts at col. */
static void totals(struct store_stmt *st, int col, int64_t *passed, int64_t *total)
{
    *passed = store_col_int(st, col);
    *total = 0;
    for (int i = 0; i < (int)ARRAY_LEN(counts); i++)
        *total += store_col_int(st, col + i);
}

/* Whether passed1 of total1 is a lower rate than passed2 of total2; a run of no tests has none, lower than any. */
static bool rate_below(int64_t passed1, int64_t total1, int64_t passed2, int64_t total2)
{
    if (total1 == 0 || total2 == 0)
        return total1 == 0 && total2 != 0;
    return passed1 * total2 < passed2 * total1;
}

enum err_code testruns_gate(struct store_conn *c, const char *tenant, const char *release, int64_t candidate, int min_rate,
                            struct err *err)
{
    struct {
        char name[256], run[64];
        int64_t passed, total;
    } worst = {0}; /* the lowest rate below the gate, named in the refusal (the first made of equals) */
    int64_t passed, total;
    struct store_stmt *st;
    int rc, runs = 0, below = 0;

    if (store_select(c,
                     "SELECT name, runId, passed, failed, blocked, retest, untested, other FROM release_test_runs "
                     "WHERE tenantId = ? AND releaseId = ? AND candidateNumber = ? ORDER BY createdAt, id",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release), STORE_INT(candidate)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        runs++;
        totals(st, 2, &passed, &total);
        if (total > 0 && passed * 100 >= (int64_t)min_rate * total)
            continue;
        if (below++ == 0 || rate_below(passed, total, worst.passed, worst.total)) {
            snprintf(worst.name, sizeof worst.name, "%s", store_col_text(st, 0));
            snprintf(worst.run, sizeof worst.run, "%s", store_col_text(st, 1));
            worst.passed = passed, worst.total = total;
        }
    }
    store_finish(st);
    if (rc == 0 && below > 0)
        err_set(err, ERR_CONFLICT,
                "test run \"%s\" (run %s) passes %.1f%% of its tests (%lld of %lld), below the release configuration's "
                "minTestPassRate of %d%%%s",
                worst.name, worst.run, worst.total ? (double)worst.passed * 100.0 / (double)worst.total : 0.0,
                (long long)worst.passed, (long long)worst.total, min_rate,
                below == 1   ? ""
                : below == 2 ? " (and 1 other run below it)"
                             : " (and other runs below it)");
    else if (rc == 0 && runs == 0)
        err_set(err, ERR_CONFLICT,
                "candidate %lld has no test run yet: the release configuration's minTestPassRate of %d%% needs one to pass",
                (long long)candidate, min_rate);
    return err->code;
}

/* ---- the API ---- */

static json_t *run_row(struct store_stmt *st)
{
    static const char *const cols[] = {"id",     "integrationId", "provider",   "runId",     "name",     "url",
                                       "status", "lastError",     "lastReadAt", "createdAt", "updatedAt"};
    json_t *row = json_object(), *n = json_object();
    int64_t passed, total;

    for (int i = 0; i < (int)ARRAY_LEN(cols); i++)
        json_object_set_new(row, cols[i], json_text_or_null(store_col_text(st, i)));
    json_object_set_new(row, "candidate", json_integer(store_col_int(st, 11)));
    for (int i = 0; i < (int)ARRAY_LEN(counts); i++)
        json_object_set_new(n, counts[i], json_integer(store_col_int(st, 12 + i)));
    totals(st, 12, &passed, &total);
    json_object_set_new(row, "counts", n);
    json_object_set_new(row, "total", json_integer(total));
    /* in percent, one decimal; none for a run of no tests */
    json_object_set_new(row, "passRate", total ? json_real((double)(passed * 1000 / total) / 10.0) : json_null());
    return row;
}

/* The release's runs, newest candidate first; NULL with err set (a release not the tenant's: not found). */
static json_t *runs_of(struct request *req, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id, *release = request_param(req, "releaseId");
    struct store_conn *db;

    if (request_db(req, &db, err) || tickets_release_found(db, tenant, release, err))
        return NULL;
    return page_items(db,
                      "SELECT id, integrationId, provider, runId, name, url, status, lastError, lastReadAt, createdAt, updatedAt, "
                      "candidateNumber, passed, failed, blocked, retest, untested, other FROM release_test_runs "
                      "WHERE tenantId = ? AND releaseId = ? ORDER BY candidateNumber DESC, createdAt, id",
                      STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), run_row, err);
}

enum err_code release_test_runs_list(struct request *req, struct err *err)
{
    json_t *list = runs_of(req, err);

    if (list)
        response_json(req, 200, list);
    return err->code;
}

const struct schema testruns_refresh_schema = {.name = "testruns_refresh_schema", .optional = true};

struct refresh_tx {
    const char *release;
    const json_t *items;
};

/* A signal to the job of each run still read. */
static enum err_code refresh_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct refresh_tx *t = ctx;
    char key[JOB_EVENT_KEY_SIZE];
    const json_t *row;
    size_t i;

    json_array_foreach(t->items, i, row)
    {
        if (strcmp(text_of(row, "status"), "ACTIVE") != 0)
            continue;
        refresh_key(key, text_of(row, "integrationId"), t->release, json_integer_value(json_object_get(row, "candidate")));
        if (jobs_signal_in(c, key, NULL, err))
            break;
    }
    return err->code;
}

enum err_code release_test_runs_refresh(struct request *req, struct err *err)
{
    json_t *list = runs_of(req, err);
    struct refresh_tx t = {.release = request_param(req, "releaseId"), .items = json_object_get(list, "items")};
    struct store_conn *db;

    if (list && request_db(req, &db, err) == ERR_OK)
        store_tx(db, refresh_body, &t, err);
    if (list && err->code)
        json_decref(list);
    else
        response_json(req, 202, list);
    return err->code;
}
