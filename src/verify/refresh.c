/*
 * refresh.c: OAuth access tokens of SCM integrations refreshed before they
 * expire (refresh.h, docs/deployments.md "OAuth tokens").
 */
#include "verify/refresh.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/utf8.h"
#include "crypto/secret.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
#include "jobs/sweep.h"
#include "verify/verify.h"

#define SWEEP_BATCH 200              /* integrations a sweep starts */
#define RETRY_MAX_MS (5 * 60 * 1000) /* the longest wait between two tries of a refresh the provider did not answer */
#define SCM_TABLE "tenant_scm_integrations"

static const char *text(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

void token_refresh_signal(char *out, const char *integration, const char *expires_at)
{
    snprintf(out, JOB_EVENT_KEY_SIZE, TOKEN_REFRESH_SIGNAL ":%s:%s", integration, expires_at);
}

bool token_refresh_due(const json_t *config)
{
    const char *at = text(config, "expiresAt");
    int64_t ms;

    if (!at || !text(config, "refreshToken") || !text(config, "clientId") || !text(config, "clientSecret") ||
        clock_parse(at, &ms) != 0)
        return false;
    return ms - clock_now_ms() < (int64_t)TOKEN_REFRESH_MARGIN_S * 1000;
}

struct start_tx {
    struct jobs *q;
    const char *tenant, *integration, *expires_at;
};

static enum err_code start_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct start_tx *t = ctx;
    char key[JOB_EVENT_KEY_SIZE], job[UUID_SIZE];
    json_t *payload = json_pack("{s:s, s:s}", "integrationId", t->integration, "expiresAt", t->expires_at);

    snprintf(key, sizeof key, TOKEN_REFRESH_JOB ":%s:%s", t->integration, t->expires_at);
    jobs_enqueue_in(
        c, t->q,
        &(struct job_new){.kind = TOKEN_REFRESH_JOB, .tenant = t->tenant, .payload = payload, .dedupe_key = key, .max_attempts = 5},
        job, err);
    json_decref(payload);
    return err->code;
}

enum err_code token_refresh_start(struct store_conn *c, struct jobs *q, const char *tenant, const char *integration,
                                  const char *expires_at, struct err *err)
{
    struct start_tx t = {.q = q, .tenant = tenant, .integration = integration, .expires_at = expires_at};

    if (store_tx(c, start_body, &t, err) == ERR_OK)
        jobs_nudge(q);
    return err->code;
}

/* The integration's secretsSavedAt with the refreshed tokens saved now. Caller frees. */
static char *saved_at_now(struct store_conn *c, const char *tenant, const char *id, bool rotated, const char *now, struct err *err)
{
    struct store_stmt *st;
    json_t *saved = NULL;
    char *out;

    if (store_select(c, "SELECT secretsSavedAt FROM " SCM_TABLE " WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return NULL;
    if (store_next(st, err) == 1 && store_col_text(st, 0))
        saved = json_loads(store_col_text(st, 0), 0, NULL);
    store_finish(st);
    if (!json_is_object(saved)) {
        json_decref(saved);
        saved = json_object();
    }
    json_object_set_new(saved, "accessToken", json_string(now));
    if (rotated)
        json_object_set_new(saved, "refreshToken", json_string(now));
    out = json_dumps(saved, JSON_COMPACT);
    json_decref(saved);
    return out;
}

struct refresh_tx {
    const struct verify_env *env;
    struct job *job;
    const char *id, *replaced; /* the integration, and the expiresAt the refresh replaces */
    const struct provider_call *call;
};

/* The new tokens, encrypted for their columns, and the new expiry, with the job's end and the waiters' signal. */
static enum err_code store_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct refresh_tx *t = ctx;
    const char *tenant = t->job->tenant, *access = provider_secret_text(t->call, "accessToken"),
               *refresh = provider_secret_text(t->call, "refreshToken");
    json_t *expires_in = json_object_get(t->call->output, "expiresIn");
    char now[TIMESTAMP_SIZE], expires[TIMESTAMP_SIZE], signal[JOB_EVENT_KEY_SIZE];
    char *access_ct = NULL, *refresh_ct = NULL, *saved = NULL;
    int64_t changes = 0;

    clock_now(now);
    if (json_is_integer(expires_in))
        clock_format(clock_now_ms() + json_integer_value(expires_in) * 1000, expires);
    if (secret_encrypt(t->env->keys, &(struct secret_place){tenant, SCM_TABLE, "accessToken", t->id}, access, strlen(access),
                       &access_ct, err) ||
        (refresh[0] && secret_encrypt(t->env->keys, &(struct secret_place){tenant, SCM_TABLE, "refreshToken", t->id}, refresh,
                                      strlen(refresh), &refresh_ct, err)) ||
        !(saved = saved_at_now(c, tenant, t->id, refresh[0] != '\0', now, err)))
        goto out;
    /* Compared on the expiry replaced: an integration edited meanwhile keeps what its owner wrote. */
    if (store_run(c,
                  "UPDATE " SCM_TABLE " SET accessToken = ?, refreshToken = COALESCE(?, refreshToken), expiresAt = ?, "
                  "secretsSavedAt = ?, updatedAt = ? WHERE tenantId = ? AND id = ? AND expiresAt = ?",
                  STORE_ARGS(STORE_TEXT(access_ct), STORE_TEXT(refresh_ct),
                             STORE_TIME(json_is_integer(expires_in) ? expires : NULL), STORE_TEXT(saved), STORE_TIME(now),
                             STORE_TEXT(tenant), STORE_TEXT(t->id), STORE_TIME(t->replaced)),
                  &changes, err))
        goto out;
    if (changes == 0)
        log_info("token refresh of SCM integration %s: it was changed meanwhile, the new token is dropped", t->id);
    token_refresh_signal(signal, t->id, t->replaced);
    t->job->output = json_pack("{s:b}", "stored", changes > 0);
    if (jobs_signal_in(c, signal, NULL, err) == ERR_OK)
        job_done_in(c, t->job, err);
out:
    free(access_ct);
    free(refresh_ct);
    free(saved);
    return err->code;
}

/* A refused refresh: recorded as a verification (EXPIRED or INVALID, the message, an audit row), then the waiters told. */
static enum err_code refused(const struct verify_env *env, struct job *j, const char *id, const struct provider_call *call,
                             struct err *err)
{
    struct store_conn *db = NULL;
    char to[16], signal[JOB_EVENT_KEY_SIZE];

    token_refresh_signal(signal, id, text(j->payload, "expiresAt"));
    if (store_conn_get(env->store, &db, err) == ERR_OK &&
        verify_record(db, NULL, category_get(CAT_SCM), j->tenant, id, call, j, to, err) == ERR_OK) {
        log_info("token refresh of SCM integration %s of tenant %s refused (now %s): %s", id, j->tenant, to, call->message);
        jobs_signal(env->jobs, signal, NULL, err);
    }
    store_conn_put(db);
    return err->code;
}

/*
 * The provider did not answer (network, 5xx): not proof of anything, so the
 * same job tries again, after env's retry time doubling with each failure
 * (at most RETRY_MAX_MS), and never later than the token's expiry. The job
 * stays the expiry's only refresh (its dedupe key is held while it waits),
 * and a call state it saved (the provider's new tokens) is resumed, not
 * sent again: one refresh token is never spent twice by slipway.
 */
static void retry_later(const struct verify_env *env, struct job *j, const char *id, const struct provider_call *call)
{
    int64_t failures = json_integer_value(json_object_get(j->data, "failures")) + 1, delay = env->refresh_retry_ms, next;
    char key[JOB_EVENT_KEY_SIZE];

    for (int64_t i = 1; i < failures && delay < RETRY_MAX_MS; i++)
        delay *= 2;
    if (delay > RETRY_MAX_MS)
        delay = RETRY_MAX_MS;
    if (clock_parse(text(j->payload, "expiresAt"), &next) != 0 || next > clock_now_ms() + delay)
        next = clock_now_ms() + delay; /* after the delay, or at the expiry if that comes first */
    json_object_set_new(j->data, "failures", json_integer(failures));
    json_object_set_new(j->data, "lastError", json_string(call->message[0] ? call->message : "the provider did not answer"));
    log_info("token refresh of SCM integration %s of tenant %s not answered (%lld times): %s", id, j->tenant, (long long)failures,
             text(j->data, "lastError"));
    snprintf(key, sizeof key, TOKEN_REFRESH_JOB ":retry:%s", id); /* nobody sends it: the deadline wakes the job */
    job_wait(j, 0, key, next);
}

/* True when j has tried before (retry_later) and the token it was to refresh has expired meanwhile. */
static bool expired_unanswered(const struct job *j)
{
    int64_t expires;

    return json_integer_value(json_object_get(j->data, "failures")) > 0 &&
           clock_parse(text(j->payload, "expiresAt"), &expires) == 0 && clock_now_ms() >= expires;
}

/* Every try unanswered and the token expired: EXPIRED, recorded as a refusal is, saying why. ERR_NOT_FOUND once recorded. */
static enum err_code gave_up(const struct verify_env *env, struct job *j, const char *id, const struct provider *p, struct err *err)
{
    struct provider_call v = {.prov = p, .verdict = VERDICT_EXPIRED};

    snprintf(v.message, sizeof v.message,
             "the access token expired at %s: the provider did not answer its refresh (%lld tries; the last: %s)",
             text(j->payload, "expiresAt"), (long long)json_integer_value(json_object_get(j->data, "failures")),
             text(j->data, "lastError"));
    utf8_scrub(v.message);
    return refused(env, j, id, &v, err) ? err->code : err_set(err, ERR_NOT_FOUND, "expired");
}

/*
 * Loads the integration and starts the refresh as j's step (j parks);
 * ERR_NOT_FOUND when there is nothing to refresh. After failed tries, once
 * the token has expired (and the integration still holds it): gave_up.
 */
static enum err_code start(const struct verify_env *env, struct job *j, const char *id, struct err *err)
{
    const struct provider *p;
    struct store_conn *db = NULL;
    json_t *config = NULL, *scm = NULL;
    const char *replaced = text(j->payload, "expiresAt");
    bool due;

    if (store_conn_get(env->store, &db, err) == ERR_OK)
        verify_load(db, env->keys, category_get(CAT_SCM), j->tenant, id, NULL, &config, &scm, err);
    store_conn_put(db);
    json_decref(scm);
    if (err->code)
        return err->code;
    p = provider_by_type(text(config, "type"));
    /* Refreshed by another job, edited, or no longer refreshable: nothing to spend the refresh token on. */
    due = p && p->ops->scm_refresh_token && replaced && text(config, "expiresAt") &&
          strcmp(text(config, "expiresAt"), replaced) == 0 && token_refresh_due(config);
    if (!due || expired_unanswered(j)) {
        secret_wipe_json(config);
        json_decref(config);
        return due ? gave_up(env, j, id, p, err) : err_set(err, ERR_NOT_FOUND, "nothing to refresh");
    }
    provider_call_in_job(provider_call_new(env->loop, p, p->ops->scm_refresh_token, config, NULL, NULL, NULL, NULL), j);
    return ERR_OK;
}

void token_refresh_step(void *ctx, struct job *j)
{
    const struct verify_env *env = ctx;
    const char *id = text(j->payload, "integrationId");
    struct provider_call *call = provider_call_of(j);
    struct store_conn *db = NULL;
    struct err err;

    err_clear(&err);
    if (!id || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a token refresh: the payload names no integration");
    } else if (!call) {
        if (start(env, j, id, &err) == ERR_NOT_FOUND) {
            job_done(j);
            return;
        }
    } else if (call->verdict == VERDICT_VALID) {
        struct refresh_tx t = {.env = env, .job = j, .id = id, .replaced = text(j->payload, "expiresAt"), .call = call};
        if (store_conn_get(env->store, &db, &err) == ERR_OK)
            store_tx(db, store_body, &t, &err);
        store_conn_put(db);
    } else if (call->verdict == VERDICT_NONE) {
        retry_later(env, j, id, call);
        return;
    } else {
        refused(env, j, id, call, &err);
    }
    if (err.code)
        job_fail(j, &err);
    else if (call)
        job_done(j);
}

/* An integration whose token expires within the margin (id, tenantId, expiresAt): its refresh queued, once. */
static enum err_code sweep_due(struct store_conn *c, const void *ctx, const struct job *j, const char *const *cols, struct err *err)
{
    const struct verify_env *env = ctx;

    (void)j;
    return start_body(c, &(struct start_tx){.q = env->jobs, .tenant = cols[1], .integration = cols[0], .expires_at = cols[2]}, err);
}

void token_sweep_step(void *ctx, struct job *j)
{
    const struct verify_env *env = ctx;
    char cutoff[TIMESTAMP_SIZE];
    const struct store_val args[] = {STORE_BOOL(true), STORE_TIME(cutoff), STORE_INT(SWEEP_BATCH)};

    clock_format(clock_now_ms() + (int64_t)TOKEN_REFRESH_MARGIN_S * 1000, cutoff);
    sweep_pass(&(struct sweep){.name = "the token sweep",
                               .store = env->store,
                               .jobs = env->jobs,
                               .sql =
                                   "SELECT id, tenantId, expiresAt FROM " SCM_TABLE " WHERE isActive = ? AND refreshToken IS NOT "
                                   "NULL AND clientId IS NOT NULL AND clientSecret IS NOT NULL AND expiresAt < ? AND "
                                   "verificationStatus <> 'EXPIRED' ORDER BY expiresAt LIMIT ?",
                               .args = args,
                               .nargs = ARRAY_LEN(args),
                               .ncols = 3,
                               .due = sweep_due,
                               .ctx = env},
               j);
}
