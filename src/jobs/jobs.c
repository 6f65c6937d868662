#define _POSIX_C_SOURCE 200809L
#include "jobs/jobs.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rand.h"
#include "core/xmalloc.h"

#define BACKOFF_MAX_S 3600
#define UNKNOWN_KIND_DELAY_S 60 /* a kind this binary does not know (a newer one enqueued it): left for others */

/*
 * The claim: a queued job whose time has come, or a running one whose lease
 * ran out (its process died). Locked rows another worker is claiming are
 * skipped, not waited for, where the database can (SQLite serializes every
 * write transaction instead).
 */
#define CLAIM_SQL                                                                                                                  \
    "SELECT id, kind, tenantId, payload, attempts, maxAttempts, everySeconds FROM jobs "                                           \
    "WHERE (state = 'QUEUED' AND runAt <= ?) OR (state = 'RUNNING' AND leaseExpiresAt < ?) ORDER BY runAt LIMIT 1"
static const char *const claim_sql[STORE_DIALECTS] = {
    [STORE_SQLITE] = CLAIM_SQL,
    [STORE_POSTGRES] = CLAIM_SQL " FOR UPDATE SKIP LOCKED",
    [STORE_MYSQL] = CLAIM_SQL " FOR UPDATE SKIP LOCKED",
};

struct claimed {
    struct job job;
    char kind[65];
    char *payload;
    int max_attempts, every_seconds;
    bool found;
};

/* A kind's runs in this process, for /metrics. */
struct kind_stats {
    _Atomic uint64_t ok, failed;
    struct metrics_histogram duration;
};

struct jobs {
    struct store *store;
    const struct job_kind *kinds;
    size_t nkinds;
    struct kind_stats *stats; /* indexed like kinds */
    struct jobs_options opt;
    char owner[128]; /* host:pid:random, in leaseOwner */
    pthread_t worker, keeper;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    char running[UUID_SIZE]; /* the job being run, "" when none (under lock) */
};

struct claim_tx {
    struct jobs *q;
    struct claimed *out; /* filled (out->found) when a job was claimed */
};

static enum err_code claim_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct jobs *q = ((struct claim_tx *)ctx)->q;
    struct claimed *out = ((struct claim_tx *)ctx)->out;
    char now[TIMESTAMP_SIZE], until[TIMESTAMP_SIZE];
    struct store_stmt *st;
    int rc;

    free(out->payload);
    memset(out, 0, sizeof *out);
    clock_now(now);
    clock_format(clock_now_ms() + (int64_t)q->opt.lease_seconds * 1000, until);
    if (store_select(c, store_pick(c, claim_sql), STORE_ARGS(STORE_TIME(now), STORE_TIME(now)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        const char *tenant = store_col_text(st, 2), *payload = store_col_text(st, 3);
        snprintf(out->job.id, sizeof out->job.id, "%s", store_col_text(st, 0));
        snprintf(out->kind, sizeof out->kind, "%s", store_col_text(st, 1));
        snprintf(out->job.tenant, sizeof out->job.tenant, "%s", tenant ? tenant : "");
        out->payload = payload ? xstrdup(payload) : NULL;
        out->job.attempt = (int)store_col_int(st, 4) + 1;
        out->max_attempts = (int)store_col_int(st, 5);
        out->every_seconds = store_col_null(st, 6) ? 0 : (int)store_col_int(st, 6);
        out->found = true;
    }
    store_finish(st);
    if (rc < 0 || !out->found)
        return rc < 0 ? err->code : ERR_OK;
    return store_run(c,
                     "UPDATE jobs SET state = 'RUNNING', attempts = attempts + 1, leaseOwner = ?, leaseExpiresAt = ?, "
                     "updatedAt = ? WHERE id = ?",
                     STORE_ARGS(STORE_TEXT(q->owner), STORE_TIME(until), STORE_TIME(now), STORE_TEXT(out->job.id)), NULL, err);
}

/* How a run ended, written back with a compare-and-swap on the lease owner. */
struct outcome {
    const char *state; /* QUEUED, DONE or FAILED */
    int64_t run_at_ms;
    int attempts;      /* as stored: reset for a recurring job's next run */
    const char *error; /* NULL on success */
};

static void finish(struct jobs *q, const struct claimed *cl, const struct outcome *o)
{
    char now[TIMESTAMP_SIZE], run_at[TIMESTAMP_SIZE];
    struct store_conn *c = NULL;
    int64_t changes = 0;
    struct err err;

    err_clear(&err);
    clock_now(now);
    clock_format(o->run_at_ms, run_at);
    if (store_conn_get(q->store, &c, &err) == ERR_OK)
        store_run(c,
                  "UPDATE jobs SET state = ?, runAt = ?, attempts = ?, leaseOwner = NULL, leaseExpiresAt = NULL, lastError = ?, "
                  "lastFinishedAt = ?, updatedAt = ? WHERE id = ? AND leaseOwner = ?",
                  STORE_ARGS(STORE_TEXT(o->state), STORE_TIME(run_at), STORE_INT(o->attempts), STORE_TEXT(o->error),
                             STORE_TIME(now), STORE_TIME(now), STORE_TEXT(cl->job.id), STORE_TEXT(q->owner)),
                  &changes, &err);
    store_conn_put(c);
    if (err.code)
        log_warn("jobs: could not record the end of %s %s: %s (its lease will run out and it will run again)", cl->kind, cl->job.id,
                 err.message);
    else if (changes != 1)
        log_warn("jobs: %s %s lost its lease while it ran; the process that took it over records the outcome", cl->kind,
                 cl->job.id);
}

static const struct job_kind *kind_of(const struct jobs *q, const char *name)
{
    for (size_t i = 0; i < q->nkinds; i++)
        if (strcmp(q->kinds[i].name, name) == 0)
            return &q->kinds[i];
    return NULL;
}

static void run_claimed(struct jobs *q, struct claimed *cl)
{
    const struct job_kind *k = kind_of(q, cl->kind);
    int64_t now = clock_now_ms();
    struct outcome o;
    struct err err;

    err_clear(&err);
    if (!k) {
        /* Give it back untouched (attempts as they were) for a process that knows it. */
        o = (struct outcome){"QUEUED", now + UNKNOWN_KIND_DELAY_S * 1000LL, cl->job.attempt - 1, "no process here knows this kind"};
        finish(q, cl, &o);
        return;
    }
    pthread_mutex_lock(&q->lock);
    memcpy(q->running, cl->job.id, sizeof q->running);
    pthread_mutex_unlock(&q->lock);

    /* A first attempt is routine (the re-verification runs every minute); a retry, or a job taken over from a process
       that died, is worth an operator's reading. */
    if (cl->job.attempt > 1)
        log_info("jobs: running %s %s (attempt %d)", cl->kind, cl->job.id, cl->job.attempt);
    else
        log_debug("jobs: running %s %s (attempt %d)", cl->kind, cl->job.id, cl->job.attempt);
    cl->job.payload = cl->payload;
    cl->job.queue = q;
    int64_t started_us = clock_mono_us();
    k->run(k->ctx, &cl->job, &err);
    struct kind_stats *ks = &q->stats[k - q->kinds];
    metrics_observe(&ks->duration, clock_mono_us() - started_us);
    atomic_fetch_add_explicit(err.code ? &ks->failed : &ks->ok, 1, memory_order_relaxed);

    pthread_mutex_lock(&q->lock);
    q->running[0] = '\0';
    bool stopped = q->stopping;
    pthread_mutex_unlock(&q->lock);

    now = clock_now_ms();
    if (err.code && stopped) {
        /* Interrupted by shutdown: not the job's fault, so not an attempt; due again at once. */
        o = (struct outcome){"QUEUED", now, cl->job.attempt - 1, "interrupted by a shutdown"};
    } else if (cl->every_seconds > 0) {
        o = (struct outcome){"QUEUED", now + cl->every_seconds * 1000LL, 0, err.code ? err.message : NULL};
    } else if (!err.code) {
        o = (struct outcome){"DONE", now, cl->job.attempt, NULL};
    } else if (cl->job.attempt >= cl->max_attempts) {
        o = (struct outcome){"FAILED", now, cl->job.attempt, err.message};
    } else {
        int64_t wait_s = 10LL << (cl->job.attempt < 20 ? cl->job.attempt - 1 : 19);
        o = (struct outcome){"QUEUED", now + (wait_s < BACKOFF_MAX_S ? wait_s : BACKOFF_MAX_S) * 1000, cl->job.attempt,
                             err.message};
    }
    if (err.code)
        log_warn("jobs: %s %s (attempt %d) failed: %s", cl->kind, cl->job.id, cl->job.attempt, err.message);
    finish(q, cl, &o);
}

static void *work(void *arg)
{
    struct jobs *q = arg;
    struct claimed cl = {0};

    pthread_mutex_lock(&q->lock);
    while (!q->stopping) {
        struct store_conn *c = NULL;
        struct err err;
        struct claim_tx tx = {q, &cl};
        struct timespec until;

        pthread_mutex_unlock(&q->lock);
        err_clear(&err);
        cl.found = false;
        if (store_conn_get(q->store, &c, &err) == ERR_OK)
            store_tx(c, claim_body, &tx, &err);
        store_conn_put(c);
        if (err.code)
            log_debug("jobs: no claim this time: %s", err.message);
        if (!err.code && cl.found) {
            run_claimed(q, &cl);
            pthread_mutex_lock(&q->lock);
            continue; /* there may be more due: look again at once */
        }
        pthread_mutex_lock(&q->lock);
        clock_deadline(&until, q->opt.poll_ms);
        if (!q->stopping)
            pthread_cond_timedwait(&q->wake, &q->lock, &until);
    }
    pthread_mutex_unlock(&q->lock);
    free(cl.payload);
    return NULL;
}

/* Renews the lease of the job being run, every third of the lease. */
static void *keep(void *arg)
{
    struct jobs *q = arg;

    pthread_mutex_lock(&q->lock);
    while (!q->stopping) {
        struct timespec until;
        char id[UUID_SIZE];

        clock_deadline(&until, (int64_t)q->opt.lease_seconds * 1000 / 3);
        while (!q->stopping && pthread_cond_timedwait(&q->wake, &q->lock, &until) == 0)
            ;
        if (q->stopping || !q->running[0])
            continue;
        memcpy(id, q->running, sizeof id);
        pthread_mutex_unlock(&q->lock);

        char expires[TIMESTAMP_SIZE];
        struct store_conn *c = NULL;
        int64_t changes = 0;
        struct err err;
        err_clear(&err);
        clock_format(clock_now_ms() + (int64_t)q->opt.lease_seconds * 1000, expires);
        if (store_conn_get(q->store, &c, &err) == ERR_OK)
            store_run(c, "UPDATE jobs SET leaseExpiresAt = ? WHERE id = ? AND leaseOwner = ?",
                      STORE_ARGS(STORE_TIME(expires), STORE_TEXT(id), STORE_TEXT(q->owner)), &changes, &err);
        store_conn_put(c);
        if (err.code)
            log_warn("jobs: could not renew the lease of %s: %s", id, err.message);
        else if (changes != 1)
            log_warn("jobs: the lease of %s was lost (it ran out and another process took the job)", id);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

struct jobs *jobs_start(struct store *s, const struct job_kind *kinds, size_t nkinds, const struct jobs_options *opt)
{
    struct jobs *q = xcalloc(1, sizeof *q);
    char host[64] = "host", tag[UUID_SIZE];

    q->store = s;
    q->kinds = kinds;
    q->nkinds = nkinds;
    q->stats = xcalloc(nkinds ? nkinds : 1, sizeof *q->stats);
    q->opt = *opt;
    if (q->opt.lease_seconds < 2)
        q->opt.lease_seconds = 2;
    if (q->opt.poll_ms < 10)
        q->opt.poll_ms = 10;
    gethostname(host, sizeof host - 1);
    rand_uuid(tag);
    snprintf(q->owner, sizeof q->owner, "%.60s:%ld:%.8s", host, (long)getpid(), tag);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    if (pthread_create(&q->worker, NULL, work, q) != 0 || pthread_create(&q->keeper, NULL, keep, q) != 0) {
        log_error("jobs: cannot start threads");
        abort();
    }
    log_info("jobs: worker %s started (lease %d s)", q->owner, q->opt.lease_seconds);
    return q;
}

void jobs_stop(struct jobs *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_broadcast(&q->wake);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->worker, NULL);
    pthread_join(q->keeper, NULL);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->wake);
    free(q->stats);
    free(q);
}

bool jobs_stopping(struct jobs *q)
{
    bool stopping;
    pthread_mutex_lock(&q->lock);
    stopping = q->stopping;
    pthread_mutex_unlock(&q->lock);
    return stopping;
}

enum err_code jobs_ensure_recurring(struct store_conn *c, const char *kind, int every_seconds, bool due_now, struct err *err)
{
    char id[UUID_SIZE], now[TIMESTAMP_SIZE];

    rand_uuid(id);
    clock_now(now);
    if (store_run(c,
                  "INSERT INTO jobs (id, kind, dedupeKey, state, runAt, everySeconds, attempts, maxAttempts, createdAt, updatedAt) "
                  "VALUES (?, ?, ?, 'QUEUED', ?, ?, 0, 1, ?, ?)",
                  STORE_ARGS(STORE_TEXT(id), STORE_TEXT(kind), STORE_TEXT(kind), STORE_TIME(now), STORE_INT(every_seconds),
                             STORE_TIME(now), STORE_TIME(now)),
                  NULL, err) == ERR_OK)
        return ERR_OK;
    if (err->code != ERR_CONFLICT)
        return err->code;
    /* It exists (another process, or an earlier start, made it). */
    err_clear(err);
    if (!due_now)
        return ERR_OK;
    return store_run(c, "UPDATE jobs SET runAt = ?, updatedAt = ? WHERE dedupeKey = ? AND state = 'QUEUED' AND runAt > ?",
                     STORE_ARGS(STORE_TIME(now), STORE_TIME(now), STORE_TEXT(kind), STORE_TIME(now)), NULL, err);
}

/* The jobs of every process, by kind and state, from the table (idx_jobs_due covers the states); DONE rows are history. */
#define METRICS_ROWS 256
static void jobs_table_metrics(struct store_conn *c, struct metrics_out *m)
{
    struct row {
        char kind[128], state[16];
        int64_t count, first_ms; /* first_ms: the earliest runAt, -1 when unknown */
    } *rows = xcalloc(METRICS_ROWS, sizeof *rows);
    struct store_stmt *st;
    struct err err;
    int64_t now = clock_now_ms();
    int n = 0, rc;

    err_clear(&err);
    if (store_select(c,
                     "SELECT kind, state, COUNT(*), MIN(runAt) FROM jobs WHERE state IN ('QUEUED', 'RUNNING', 'FAILED') "
                     "GROUP BY kind, state ORDER BY kind, state",
                     STORE_NO_ARGS, &st, &err) == ERR_OK) {
        while (n < METRICS_ROWS && (rc = store_next(st, &err)) == 1) {
            metrics_escape(rows[n].kind, sizeof rows[n].kind, store_col_text(st, 0));
            snprintf(rows[n].state, sizeof rows[n].state, "%s", store_col_text(st, 1));
            rows[n].count = store_col_int(st, 2);
            if (store_col_null(st, 3) || clock_parse(store_col_text(st, 3), &rows[n].first_ms) != 0)
                rows[n].first_ms = -1;
            n++;
        }
        store_finish(st);
    }
    if (err.code) {
        log_warn("metrics: cannot count the jobs: %s", err.message);
        free(rows);
        return;
    }
    metrics_family(m, "slipway_jobs", "gauge",
                   "Jobs in the database (every process's) by kind and state: QUEUED, RUNNING, FAILED.");
    for (int i = 0; i < n; i++)
        metrics_printf(m, "slipway_jobs{kind=\"%s\",state=\"%s\"} %lld\n", rows[i].kind, rows[i].state, (long long)rows[i].count);
    metrics_family(m, "slipway_jobs_oldest_due_seconds", "gauge",
                   "How long the oldest QUEUED job of a kind has been due and not yet claimed (0: none is due).");
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].state, "QUEUED") == 0 && rows[i].first_ms >= 0)
            metrics_printf(m, "slipway_jobs_oldest_due_seconds{kind=\"%s\"} %.3f\n", rows[i].kind,
                           rows[i].first_ms < now ? (double)(now - rows[i].first_ms) / 1000 : 0.0);
    free(rows);
}

void jobs_metrics_write(struct jobs *q, struct store_conn *c, struct metrics_out *m)
{
    char kind[128];

    metrics_family(m, "slipway_job_runs_total", "counter",
                   "Jobs this process ran, by kind and outcome (ok, or error: retried or failed).");
    for (size_t i = 0; q && i < q->nkinds; i++) {
        metrics_escape(kind, sizeof kind, q->kinds[i].name);
        metrics_printf(m, "slipway_job_runs_total{kind=\"%s\",outcome=\"ok\"} %llu\n", kind,
                       (unsigned long long)atomic_load_explicit(&q->stats[i].ok, memory_order_relaxed));
        metrics_printf(m, "slipway_job_runs_total{kind=\"%s\",outcome=\"error\"} %llu\n", kind,
                       (unsigned long long)atomic_load_explicit(&q->stats[i].failed, memory_order_relaxed));
    }
    metrics_family(m, "slipway_job_run_duration_seconds", "histogram", "How long this process's job runs took, by kind.");
    for (size_t i = 0; q && i < q->nkinds; i++) {
        char labels[160];
        metrics_escape(kind, sizeof kind, q->kinds[i].name);
        snprintf(labels, sizeof labels, "kind=\"%s\"", kind);
        metrics_histogram_write(m, "slipway_job_run_duration_seconds", labels, &q->stats[i].duration);
    }
    if (c)
        jobs_table_metrics(c, m);
}
