/*
 * repos.c: the repository sync of an SCM integration, and its periodic
 * sweep (repos.h, docs/deployments.md "Repositories").
 */
#include "deploy/repos.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "deploy/listing.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
#include "jobs/sweep.h"
#include "providers/call.h"
#include "verify/refresh.h"
#include "verify/verify.h"

#define SWEEP_BATCH 200 /* integrations started a sweep */

static const char *text(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* "repos-sync:<integration>:" into out: the prefix of the dedupe key of each of its syncs. */
static void key_prefix(const char *integration, char out[JOB_EVENT_KEY_SIZE])
{
    snprintf(out, JOB_EVENT_KEY_SIZE, REPOS_SYNC_JOB ":%s:", integration);
}

enum err_code repos_sync_start(struct store_conn *c, struct jobs *q, const char *tenant, const char *integration,
                               char job[UUID_SIZE], struct err *err)
{
    char prefix[JOB_EVENT_KEY_SIZE], key[JOB_EVENT_KEY_SIZE + TIMESTAMP_SIZE], now[TIMESTAMP_SIZE];
    int64_t changes = 0, exists = 0;
    json_t *payload;
    int rc;

    job[0] = '\0';
    if (store_int(c, "SELECT COUNT(*) FROM tenant_scm_integrations WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), &exists, err))
        return err->code;
    if (!exists)
        return err_set(err, ERR_NOT_FOUND, "no such SCM integration");
    clock_now(now);
    key_prefix(integration, prefix);
    /* The row's lock serializes two starts; SYNCING already: the running sync's job answers, unless it has ended. */
    if (store_run(c,
                  "UPDATE tenant_scm_integrations SET syncStatus = 'SYNCING' WHERE tenantId = ? AND id = ? AND "
                  "syncStatus <> 'SYNCING'",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), &changes, err))
        return err->code;
    if (changes == 0 && (rc = listing_running(c, REPOS_SYNC_JOB, prefix, job, err)) != 0)
        return err->code; /* running (job set), or an error */
    snprintf(key, sizeof key, "%s%s", prefix, now);
    payload = json_pack("{s:s}", "integrationId", integration);
    jobs_enqueue_in(
        c, q, &(struct job_new){.kind = REPOS_SYNC_JOB, .tenant = tenant, .payload = payload, .dedupe_key = key, .max_attempts = 3},
        job, err);
    json_decref(payload);
    return err->code;
}

/* The sync failed: the rows stay, the integration says why. */
static void sync_failed(const void *ctx, struct job *j, const char *integration, const char *message)
{
    const struct repos_env *env = ctx;
    struct store_conn *db = NULL;
    struct err err;

    err_clear(&err);
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        store_run(db, "UPDATE tenant_scm_integrations SET syncStatus = 'FAILED', lastSyncError = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(message), STORE_TEXT(j->tenant), STORE_TEXT(integration)), NULL, &err);
    store_conn_put(db);
    log_info("repository sync of integration %s of tenant %s failed: %s", integration, j->tenant, message);
    if (err.code)
        job_fail(j, &err);
    else
        job_done(j);
}

/*
 * Before the first page, a token that expires within the refresh margin is
 * refreshed (refresh.h), and waited for: true when j waits. Once: woken,
 * the sync goes on with the token stored (a refused refresh has made the
 * integration EXPIRED, and the provider's refusal of the old token ends
 * the sync with its reason).
 */
static bool waits_for_token(const struct repos_env *env, struct job *j, const char *integration, const json_t *config,
                            struct err *err)
{
    char signal[JOB_EVENT_KEY_SIZE];
    struct store_conn *db = NULL;

    if (text(j->data, "next") || j->event || j->timed_out || !token_refresh_due(config))
        return false;
    if (store_conn_get(env->store, &db, err) == ERR_OK)
        token_refresh_start(db, env->jobs, j->tenant, integration, text(config, "expiresAt"), err);
    store_conn_put(db);
    if (err->code)
        return false;
    token_refresh_signal(signal, integration, text(config, "expiresAt"));
    job_wait(j, j->step, signal, clock_now_ms() + REPOS_TOKEN_WAIT_MS);
    return true;
}

/* Starts the call for the page j's data names (the first when none): j parks. */
static enum err_code start_page(const void *ctx, struct job *j, const char *integration, struct err *err)
{
    const struct repos_env *env = ctx;
    const struct provider *p;
    struct store_conn *db = NULL;
    json_t *config = NULL, *conn = NULL, *input;
    const char *next = text(j->data, "next");

    if (store_conn_get(env->store, &db, err) == ERR_OK)
        verify_load(db, env->keys, category_get(CAT_SCM), j->tenant, integration, NULL, &config, &conn, err);
    store_conn_put(db);
    json_decref(conn);
    if (err->code)
        return err->code;
    p = provider_by_type(json_string_value(json_object_get(config, "type")));
    if (!p || !p->ops->scm_list_repos) {
        secret_wipe_json(config);
        json_decref(config);
        return err_set(err, ERR_CONFLICT, "%s cannot list repositories", p ? p->display : "this SCM");
    }
    if (waits_for_token(env, j, integration, config, err) || err->code) {
        secret_wipe_json(config);
        json_decref(config);
        return err->code;
    }
    input = next ? json_pack("{s:s}", "page", next) : json_object();
    provider_call_in_job(provider_call_new(env->loop, p, p->ops->scm_list_repos, config, NULL, input, NULL, NULL), j);
    return ERR_OK;
}

static enum err_code upsert(struct store_conn *c, const struct listing_write *w, const json_t *r, const char *now, struct err *err)
{
    const char *ext = text(r, "id"), *name = text(r, "fullName");
    char id[UUID_SIZE];
    int64_t changes = 0;
    bool priv = json_is_true(json_object_get(r, "private"));

    if (!ext || !name)
        return ERR_OK; /* scm_list_step names every item; nothing to key one by otherwise */
    if (store_run(c,
                  "UPDATE repositories SET fullName = ?, defaultBranch = ?, private = ?, webUrl = ?, syncedAt = ? "
                  "WHERE integrationId = ? AND externalId = ?",
                  STORE_ARGS(STORE_TEXT(name), STORE_TEXT(text(r, "defaultBranch")), STORE_BOOL(priv),
                             STORE_TEXT(text(r, "webUrl")), STORE_TIME(now), STORE_TEXT(w->integration), STORE_TEXT(ext)),
                  &changes, err) ||
        changes > 0)
        return err->code;
    rand_uuid(id);
    return store_run(c,
                     "INSERT INTO repositories (id, tenantId, integrationId, externalId, fullName, defaultBranch, private, webUrl, "
                     "syncedAt, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     STORE_ARGS(STORE_TEXT(id), STORE_TEXT(w->job->tenant), STORE_TEXT(w->integration), STORE_TEXT(ext),
                                STORE_TEXT(name), STORE_TEXT(text(r, "defaultBranch")), STORE_BOOL(priv),
                                STORE_TEXT(text(r, "webUrl")), STORE_TIME(now), STORE_TIME(now)),
                     NULL, err);
}

/* The listing read in full: the rows become it, and the integration SYNCED, with the job's end. */
static enum err_code write_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct listing_write *w = ctx;
    char now[TIMESTAMP_SIZE];
    size_t i;
    json_t *r;

    clock_now(now);
    json_array_foreach(w->items, i, r) if (upsert(c, w, r, now, err)) return err->code;
    /* Pins are deleted by hand: SQLite enforces no foreign key unless asked. */
    if (store_run(c,
                  "DELETE FROM profile_repository_pins WHERE repositoryId IN (SELECT id FROM repositories WHERE integrationId = ? "
                  "AND syncedAt <> ?)",
                  STORE_ARGS(STORE_TEXT(w->integration), STORE_TIME(now)), NULL, err) ||
        store_run(c, "DELETE FROM repositories WHERE integrationId = ? AND syncedAt <> ?",
                  STORE_ARGS(STORE_TEXT(w->integration), STORE_TIME(now)), NULL, err) ||
        store_run(c,
                  "UPDATE tenant_scm_integrations SET syncStatus = 'SYNCED', lastSyncedAt = ?, lastSyncError = NULL "
                  "WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(w->job->tenant), STORE_TEXT(w->integration)), NULL, err))
        return err->code;
    w->job->output = json_pack("{s:I}", "repositories", (json_int_t)json_array_size(w->items));
    return job_done_in(c, w->job, err);
}

static const struct listing_job sync = {.pages = {.items = "repositories", .next = "next", .max_pages = REPOS_SYNC_MAX_PAGES},
                                        .what = "a repository sync",
                                        .start_page = start_page,
                                        .write = write_body,
                                        .failed = sync_failed};

void repos_sync_step(void *ctx, struct job *j)
{
    const struct repos_env *env = ctx;

    listing_step(&sync, env, env->store, j);
}

/* A due integration (id, tenantId): its sync started, unless one runs. */
static enum err_code sweep_due(struct store_conn *c, const void *ctx, const struct job *j, const char *const *cols, struct err *err)
{
    const struct repos_env *env = ctx;
    char job[UUID_SIZE];

    (void)j;
    return repos_sync_start(c, env->jobs, cols[1], cols[0], job, err);
}

void repos_sweep_step(void *ctx, struct job *j)
{
    const struct repos_env *env = ctx;
    char cutoff[TIMESTAMP_SIZE];
    const struct store_val args[] = {STORE_BOOL(true), STORE_TIME(cutoff), STORE_INT(SWEEP_BATCH)};

    clock_format(clock_now_ms() - (int64_t)env->interval * 1000, cutoff);
    /*
     * Overdue from the last success, else from the integration's creation (its first sync is asked for: the
     * sweep does not race a person who just connected it). A FAILED one is overdue too, tried again each sweep,
     * and a SYNCING one: repos_sync_start adds nothing while its job runs, and a new one when that job has ended.
     */
    sweep_pass(&(struct sweep){.name = "the repository sweep",
                               .store = env->store,
                               .jobs = env->jobs,
                               .sql = "SELECT id, tenantId FROM tenant_scm_integrations WHERE isActive = ? AND "
                                      "COALESCE(lastSyncedAt, createdAt) < ? ORDER BY COALESCE(lastSyncedAt, createdAt) LIMIT ?",
                               .args = args,
                               .nargs = ARRAY_LEN(args),
                               .ncols = 2,
                               .due = sweep_due,
                               .ctx = env},
               j);
}
