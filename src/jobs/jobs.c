#define _POSIX_C_SOURCE 200809L
#include "jobs/jobs.h"

#include <assert.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rand.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"
#include "crypto/secret.h"

#define BACKOFF_MAX_S 3600
#define UNKNOWN_KIND_DELAY_S 60 /* a kind this binary does not know (a newer one enqueued it): left for others */
#define HELD_MAX 256            /* jobs a process claims at most at once (those created here come on top) */
#define PURGE_EVERY_MS (10 * 60 * 1000)
#define DEFAULT_MAX_ATTEMPTS 5
#define CANCEL_DEPTH_MAX 16
#define LEASE_SIZE 96
#define FAR_FUTURE "9999-12-31T00:00:00.000Z" /* the runAt of a job that waits without a deadline */

/*
 * The claim: a queued job whose time has come, a waiting one whose deadline
 * has passed, or a running one whose lease ran out (its process died).
 * Locked rows another worker is claiming are skipped, not waited for, where
 * the database can (SQLite serializes every write transaction instead).
 */
#define CLAIM_COLUMNS                                                                                                              \
    "SELECT id, kind, tenantId, payload, attempts, maxAttempts, everySeconds, step, data, secrets, event, state, cycle, parentId " \
    "FROM jobs WHERE "
#define CLAIM_DUE                                                                                                                  \
    "((state = 'QUEUED' AND runAt <= ?) OR (state = 'WAITING' AND runAt <= ?) OR (state = 'RUNNING' AND leaseExpiresAt < ?))"
#define CLAIM_SQL CLAIM_COLUMNS CLAIM_DUE " ORDER BY runAt LIMIT 1"
#define CLAIM_ID_SQL CLAIM_COLUMNS "id = ? AND " CLAIM_DUE
static const char *const claim_sql[STORE_DIALECTS] = {
    [STORE_SQLITE] = CLAIM_SQL,
    [STORE_POSTGRES] = CLAIM_SQL " FOR UPDATE SKIP LOCKED",
    [STORE_MYSQL] = CLAIM_SQL " FOR UPDATE SKIP LOCKED",
};
static const char *const claim_id_sql[STORE_DIALECTS] = {
    [STORE_SQLITE] = CLAIM_ID_SQL,
    [STORE_POSTGRES] = CLAIM_ID_SQL " FOR UPDATE SKIP LOCKED",
    [STORE_MYSQL] = CLAIM_ID_SQL " FOR UPDATE SKIP LOCKED",
};

/* A new job; a second one with the same dedupe key is not an error, and not created. */
#define INSERT_SQL                                                                                                                 \
    "INSERT INTO jobs (id, kind, dedupeKey, tenantId, payload, secrets, state, runAt, attempts, maxAttempts, leaseOwner, "         \
    "leaseExpiresAt, parentId, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
static const char *const insert_sql[STORE_DIALECTS] = {
    [STORE_SQLITE] = INSERT_SQL " ON CONFLICT DO NOTHING",
    [STORE_POSTGRES] = INSERT_SQL " ON CONFLICT DO NOTHING",
    [STORE_MYSQL] = INSERT_SQL " ON DUPLICATE KEY UPDATE id = id",
};

/* A signal kept until a job waits for it (or replacing the one kept). */
#define EVENT_SQL "INSERT INTO job_events (eventKey, payload, createdAt) VALUES (?, ?, ?) "
static const char *const event_sql[STORE_DIALECTS] = {
    [STORE_SQLITE] = EVENT_SQL "ON CONFLICT (eventKey) DO UPDATE SET payload = excluded.payload, createdAt = excluded.createdAt",
    [STORE_POSTGRES] = EVENT_SQL "ON CONFLICT (eventKey) DO UPDATE SET payload = excluded.payload, createdAt = excluded.createdAt",
    [STORE_MYSQL] = EVENT_SQL "ON DUPLICATE KEY UPDATE payload = VALUES(payload), createdAt = VALUES(createdAt)",
};

/*
 * The jobs waiting for one key, found by the key's index. SQLite's planner, without statistics, takes the
 * (state, runAt) index for "eventKey = ? AND state = 'WAITING'" and walks every waiting job: at 1,000 releases
 * waiting on builds, a thousand rows stepped for each signal. PostgreSQL and MySQL keep statistics and need no hint.
 */
#define BY_KEY " WHERE eventKey = ? AND state = 'WAITING'"
#define WAKE_SET " SET state = 'QUEUED', runAt = ?, event = ?, eventKey = NULL, updatedAt = ?"
static const char *const wake_sql[STORE_DIALECTS] = {
    [STORE_SQLITE] = "UPDATE jobs INDEXED BY idx_jobs_event" WAKE_SET BY_KEY,
    [STORE_POSTGRES] = "UPDATE jobs" WAKE_SET BY_KEY,
    [STORE_MYSQL] = "UPDATE jobs" WAKE_SET BY_KEY,
};
static const char *const waiting_sql[STORE_DIALECTS] = {
    [STORE_SQLITE] = "SELECT id, parentId FROM jobs INDEXED BY idx_jobs_event" BY_KEY " AND everySeconds IS NULL",
    [STORE_POSTGRES] = "SELECT id, parentId FROM jobs" BY_KEY " AND everySeconds IS NULL",
    [STORE_MYSQL] = "SELECT id, parentId FROM jobs" BY_KEY " AND everySeconds IS NULL",
};

/* Every write of a running job is a compare-and-swap on its lease. */
#define MINE "WHERE id = ? AND leaseOwner = ? AND state = 'RUNNING'"
#define WAKE_SQL                                                                                                                   \
    "UPDATE jobs SET state = 'QUEUED', runAt = ?, updatedAt = ? WHERE id = ? AND state = 'WAITING' AND pending = 0 AND "           \
    "eventKey IS NULL"
#define UNFINISHED "state IN ('QUEUED', 'RUNNING', 'WAITING')"

/* What a step ended with. */
enum outcome { OUT_NONE, OUT_NEXT, OUT_DONE, OUT_FAIL, OUT_WAIT, OUT_CHILDREN, OUT_PARK };

struct frame {
    enum outcome kind;
    int step;
    char event_key[JOB_EVENT_KEY_SIZE];
    int64_t deadline_ms;
    struct err err;
};

/* A child waiting for its parent's next save. */
struct child {
    struct child *next;
    char id[UUID_SIZE], kind[JOB_KIND_SIZE], tenant[UUID_SIZE];
    char *dedupe;
    json_t *payload;
    json_t *secrets; /* what the job starts with (wiped when freed), or NULL */
    int64_t not_before_ms;
    int max_attempts;
    bool here, created;
    char lease[LEASE_SIZE]; /* here: the lease it is created with */
};

struct job_priv {
    struct jobs *q;
    const struct job_kind *kind;
    struct job *prev, *next; /* the jobs this process holds (under q->lock) */
    char lease[LEASE_SIZE];  /* leaseOwner as this claim wrote it: the process, and which claim */
    char parent[UUID_SIZE];  /* "" for none */
    int max_attempts, every_seconds;
    bool lost;           /* no longer this process's (under q->lock) */
    struct frame *frame; /* the running step's outcome; NULL outside a step */
    void *attached;
    void (*attached_free)(void *);
    struct child *children;
    bool done_in;         /* job_done_in wrote the end */
    struct err *cut;      /* a checkpoint that could not be written: the step fails with this once resumed */
    char woke[UUID_SIZE]; /* the parent its end woke, "" for none */
};

struct held_job {
    struct job job;
    struct job_priv priv;
};

/* The ready queue: a step to run, or a checkpoint to save. */
struct task {
    struct task *next;
    struct job *j;
    void (*then)(void *arg, bool saved); /* a checkpoint; NULL: run the step */
    void *arg;
};

struct waiter {
    struct waiter *next;
    char id[UUID_SIZE];
    job_done_fn done;
    void *ctx;
};

/* A kind's steps in this process, for /metrics. */
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
    char owner[80];  /* host:pid:random: the process, in leaseOwner */
    uint64_t claims; /* leases given out (under lock): leaseOwner is owner#n */
    pthread_t *workers, keeper;
    pthread_mutex_t lock;
    pthread_cond_t wake, keeper_wake;
    bool stopping, stopped;
    bool claiming, nudged;
    int64_t next_poll_ms; /* monotonic: when a worker looks for due jobs again */
    struct task *head, *tail;
    struct job *held;
    int nheld;
    struct waiter *waiters;
};

static const struct job_kind *kind_of(const struct jobs *q, const char *name)
{
    for (size_t i = 0; i < q->nkinds; i++)
        if (strcmp(q->kinds[i].name, name) == 0)
            return &q->kinds[i];
    return NULL;
}

static const char *or_null(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* JSON text of v (NULL for NULL), for a bind; free it. */
static char *json_text(const json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* An object parsed from a column, or a new empty one. Caller owns. */
static json_t *json_object_from(const char *text, const char *what, const char *id)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (text && !json_is_object(v))
        log_warn("jobs: the %s of job %s is not a JSON object; taken as {}", what, id);
    if (!json_is_object(v)) {
        json_decref(v);
        v = json_object();
    }
    return v;
}

static void wipe_json(json_t *v)
{
    secret_wipe_json(v);
    json_decref(v);
}

/* ---- jobs in memory ---- */

static struct job *job_alloc(struct jobs *q, const struct job_kind *k)
{
    struct held_job *h = xcalloc(1, sizeof *h);
    h->job.priv = &h->priv;
    h->priv.q = q;
    h->priv.kind = k;
    h->job.attempt = 1;
    return &h->job;
}

static void children_free(struct child *ch)
{
    while (ch) {
        struct child *next = ch->next;
        json_decref(ch->payload);
        wipe_json(ch->secrets);
        free(ch->dedupe);
        free(ch);
        ch = next;
    }
}

static void detach(struct job *j)
{
    if (j->priv->attached && j->priv->attached_free)
        j->priv->attached_free(j->priv->attached);
    j->priv->attached = NULL;
    j->priv->attached_free = NULL;
}

static void job_free(struct job *j)
{
    detach(j);
    free(j->priv->cut);
    children_free(j->priv->children);
    json_decref((json_t *)j->payload);
    json_decref((json_t *)j->event);
    json_decref(j->data);
    wipe_json(j->secrets);
    json_decref(j->output);
    free((struct held_job *)j);
}

/* Under q->lock. */
static void hold(struct jobs *q, struct job *j)
{
    j->priv->next = q->held;
    j->priv->prev = NULL;
    if (q->held)
        q->held->priv->prev = j;
    q->held = j;
    q->nheld++;
}

/* Under q->lock. */
static void unhold(struct jobs *q, struct job *j)
{
    if (j->priv->prev)
        j->priv->prev->priv->next = j->priv->next;
    else if (q->held == j)
        q->held = j->priv->next;
    else
        return; /* not held */
    if (j->priv->next)
        j->priv->next->priv->prev = j->priv->prev;
    j->priv->prev = j->priv->next = NULL;
    q->nheld--;
}

/* Under q->lock. */
static bool is_held(const struct jobs *q, const char *id)
{
    for (const struct job *j = q->held; j; j = j->priv->next)
        if (strcmp(j->id, id) == 0)
            return true;
    return false;
}

/* Under q->lock. */
static void push(struct jobs *q, struct job *j, void (*then)(void *, bool), void *arg)
{
    struct task *t = xcalloc(1, sizeof *t);
    t->j = j;
    t->then = then;
    t->arg = arg;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
    pthread_cond_signal(&q->wake);
}

/*
 * A new lease: the process and the claim. A claim of its own, so that a
 * process that finds one of its jobs due again (its lease ran out while it
 * stalled) and claims it anew cannot have the stale copy write over it.
 */
static void new_lease(struct jobs *q, char out[LEASE_SIZE])
{
    pthread_mutex_lock(&q->lock);
    uint64_t n = ++q->claims;
    pthread_mutex_unlock(&q->lock);
    snprintf(out, LEASE_SIZE, "%s#%llu", q->owner, (unsigned long long)n);
}

static void nudge(struct jobs *q)
{
    pthread_mutex_lock(&q->lock);
    q->nudged = true;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
}

/* Tells (and forgets) every waiter of id. */
static void tell(struct jobs *q, const char *id, const char *state, const json_t *output, const struct err *err)
{
    struct waiter *mine = NULL, **p;
    struct job_result r = {id, state, output, err};

    pthread_mutex_lock(&q->lock);
    for (p = &q->waiters; *p;) {
        struct waiter *w = *p;
        if (strcmp(w->id, id) == 0) {
            *p = w->next;
            w->next = mine;
            mine = w;
        } else {
            p = &w->next;
        }
    }
    pthread_mutex_unlock(&q->lock);
    while (mine) {
        struct waiter *next = mine->next;
        mine->done(&r, mine->ctx);
        free(mine);
        mine = next;
    }
}

static bool has_waiter(struct jobs *q, const char *id)
{
    bool found = false;
    pthread_mutex_lock(&q->lock);
    for (struct waiter *w = q->waiters; w && !found; w = w->next)
        found = strcmp(w->id, id) == 0;
    pthread_mutex_unlock(&q->lock);
    return found;
}

/* The job leaves this process's memory; with err, its waiters are told that it could not go on here. */
static void forget(struct jobs *q, struct job *j, const struct err *err)
{
    pthread_mutex_lock(&q->lock);
    unhold(q, j);
    pthread_mutex_unlock(&q->lock);
    if (err)
        tell(q, j->id, NULL, NULL, err);
    job_free(j);
}

/* ---- secrets ---- */

/* secrets encrypted for the row of job id (of tenant, "" for none) into *out (NULL when there are none); free it. */
static enum err_code seal_for(const struct jobs *q, const char *tenant, const char *id, const json_t *secrets, char **out,
                              struct err *err)
{
    struct secret_place at = {tenant, "jobs", "secrets", id};
    char *text;
    enum err_code rc;

    *out = NULL;
    if (!secrets || json_object_size(secrets) == 0)
        return ERR_OK;
    if (!q->opt.keys || !keyring_can_encrypt(q->opt.keys))
        return err_set(err, ERR_UNAVAILABLE, "a job cannot keep secrets without INTEGRATION_ENCRYPTION_KEY");
    text = json_dumps(secrets, JSON_COMPACT);
    if (!text)
        return err_set(err, ERR_INTERNAL, "a job's secrets could not be written");
    rc = secret_encrypt(q->opt.keys, &at, text, strlen(text), out, err);
    hash_cleanse(text, strlen(text));
    free(text);
    return rc;
}

/* j->secrets encrypted for its row into *out (NULL when there are none); free it. */
static enum err_code seal(const struct jobs *q, const struct job *j, char **out, struct err *err)
{
    return seal_for(q, j->tenant, j->id, j->secrets, out, err);
}

static enum err_code unseal(const struct jobs *q, struct job *j, const char *stored, struct err *err)
{
    struct secret_place at = {j->tenant, "jobs", "secrets", j->id};
    struct plaintext *p = NULL;

    j->secrets = json_object();
    if (!stored)
        return ERR_OK;
    if (!q->opt.keys)
        return err_set(err, ERR_UNAVAILABLE, "the job's secrets cannot be read without INTEGRATION_ENCRYPTION_KEY");
    if (secret_decrypt(q->opt.keys, &at, stored, &p, err)) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return err_set(err, err->code, "the job's secrets cannot be decrypted (%s)", why);
    }
    json_t *v = json_loadb(p->data, p->len, 0, NULL);
    plaintext_free(p);
    if (!json_is_object(v)) {
        wipe_json(v);
        return err_set(err, ERR_INTERNAL, "the job's secrets are not a JSON object");
    }
    wipe_json(j->secrets);
    j->secrets = v;
    return ERR_OK;
}

/* ---- writing ---- */

/* What one write needs, and what it found. */
struct write {
    struct jobs *q;
    struct job *j;
    const struct frame *f;
    const char *data, *sealed, *output; /* JSON texts (sealed: the encrypted secrets) */
    char now[TIMESTAMP_SIZE];
    bool lost;            /* the compare-and-swap found another owner */
    char woke[UUID_SIZE]; /* the parent this write woke */
};

static enum err_code lost(struct write *w, int64_t changes, struct err *err)
{
    if (changes == 1)
        return ERR_OK;
    w->lost = true;
    return err_set(err, ERR_CONFLICT, "the job is no longer this process's");
}

/* Inserts one job (in the caller's transaction); ch->created and ch->id say what happened. */
static enum err_code insert(struct store_conn *c, struct jobs *q, struct child *ch, const char *parent, struct err *err)
{
    char now[TIMESTAMP_SIZE], run_at[TIMESTAMP_SIZE], until[TIMESTAMP_SIZE];
    char *payload, *sealed = NULL;
    int64_t now_ms = clock_now_ms(), changes = 0;
    struct store_stmt *st;

    rand_uuid(ch->id);
    if (seal_for(q, ch->tenant, ch->id, ch->secrets, &sealed, err)) /* bound to the new row's id */
        return err->code;
    payload = json_text(ch->payload);
    clock_format(now_ms, now);
    clock_format(ch->not_before_ms > now_ms && !ch->here ? ch->not_before_ms : now_ms, run_at);
    clock_format(now_ms + (int64_t)q->opt.lease_seconds * 1000, until);
    ch->created = false;
    if (ch->here)
        new_lease(q, ch->lease);
    store_run(c, store_pick(c, insert_sql),
              STORE_ARGS(STORE_TEXT(ch->id), STORE_TEXT(ch->kind), STORE_TEXT(ch->dedupe), STORE_TEXT(or_null(ch->tenant)),
                         STORE_TEXT(payload), STORE_TEXT(sealed), STORE_TEXT(ch->here ? "RUNNING" : "QUEUED"), STORE_TIME(run_at),
                         STORE_INT(ch->here ? 1 : 0), STORE_INT(ch->max_attempts), STORE_TEXT(ch->here ? ch->lease : NULL),
                         ch->here ? STORE_TIME(until) : STORE_NULL, STORE_TEXT(or_null(parent)), STORE_TIME(now), STORE_TIME(now)),
              &changes, err);
    free(payload);
    free(sealed);
    if (err->code)
        return err->code;
    if (ch->dedupe) {
        /* Created, or was there: the row with the key says which. */
        if (store_select(c, "SELECT id FROM jobs WHERE dedupeKey = ?", STORE_ARGS(STORE_TEXT(ch->dedupe)), &st, err))
            return err->code;
        int rc = store_next(st, err);
        if (rc == 1) {
            ch->created = strcmp(store_col_text(st, 0), ch->id) == 0;
            snprintf(ch->id, sizeof ch->id, "%s", store_col_text(st, 0));
        }
        store_finish(st);
        if (rc < 0)
            return err->code;
    } else {
        ch->created = changes == 1;
    }
    if (ch->created && parent && parent[0])
        return store_run(c, "UPDATE jobs SET pending = pending + 1 WHERE id = ?", STORE_ARGS(STORE_TEXT(parent)), NULL, err);
    return ERR_OK;
}

static enum err_code insert_children(struct store_conn *c, struct write *w, struct err *err)
{
    for (struct child *ch = w->j->priv->children; ch; ch = ch->next)
        if (insert(c, w->q, ch, w->j->id, err))
            return err->code;
    return ERR_OK;
}

/* A finished job tells its parent: one child fewer to wait for, and the parent is due when none is left. */
static enum err_code tell_parent(struct store_conn *c, const char *parent, const char *now, char woke[UUID_SIZE], struct err *err)
{
    int64_t changes = 0;

    if (!parent[0])
        return ERR_OK;
    if (store_run(c, "UPDATE jobs SET pending = pending - 1, updatedAt = ? WHERE id = ?",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(parent)), NULL, err) ||
        store_run(c, WAKE_SQL, STORE_ARGS(STORE_TIME(now), STORE_TIME(now), STORE_TEXT(parent)), &changes, err))
        return err->code;
    if (changes == 1 && woke)
        snprintf(woke, UUID_SIZE, "%s", parent);
    return ERR_OK;
}

/* NEXT and checkpoints: the job goes on here, its state saved. */
static enum err_code body_save(struct store_conn *c, void *ctx, struct err *err)
{
    struct write *w = ctx;
    struct job *j = w->j;
    char until[TIMESTAMP_SIZE];
    int64_t changes = 0;
    bool next = w->f->kind == OUT_NEXT;

    clock_format(clock_now_ms() + (int64_t)w->q->opt.lease_seconds * 1000, until);
    if (insert_children(c, w, err) ||
        store_run(c,
                  "UPDATE jobs SET step = ?, data = ?, secrets = ?, event = NULL, attempts = ?, leaseExpiresAt = ?, "
                  "lastError = NULL, updatedAt = ? " MINE,
                  STORE_ARGS(STORE_INT(next ? w->f->step : j->step), STORE_TEXT(w->data), STORE_TEXT(w->sealed),
                             STORE_INT(next ? 1 : j->attempt), STORE_TIME(until), STORE_TIME(w->now), STORE_TEXT(j->id),
                             STORE_TEXT(j->priv->lease)),
                  &changes, err))
        return err->code;
    return lost(w, changes, err);
}

/* WAIT and CHILDREN: the row waits; nothing of it stays here. */
static enum err_code body_wait(struct store_conn *c, void *ctx, struct err *err)
{
    struct write *w = ctx;
    struct job *j = w->j;
    const struct frame *f = w->f;
    bool event = f->kind == OUT_WAIT;
    char deadline[TIMESTAMP_SIZE];
    struct store_stmt *st;
    int64_t changes = 0;
    int rc;

    if (event && f->deadline_ms != JOB_NO_DEADLINE)
        clock_format(f->deadline_ms, deadline);
    else
        snprintf(deadline, sizeof deadline, "%s", FAR_FUTURE);
    if (insert_children(c, w, err) ||
        store_run(c,
                  "UPDATE jobs SET state = 'WAITING', step = ?, data = ?, secrets = ?, event = NULL, eventKey = ?, runAt = ?, "
                  "attempts = 0, leaseOwner = NULL, leaseExpiresAt = NULL, lastError = NULL, updatedAt = ? " MINE,
                  STORE_ARGS(STORE_INT(f->step), STORE_TEXT(w->data), STORE_TEXT(w->sealed),
                             STORE_TEXT(event ? f->event_key : NULL), STORE_TIME(deadline), STORE_TIME(w->now), STORE_TEXT(j->id),
                             STORE_TEXT(j->priv->lease)),
                  &changes, err) ||
        lost(w, changes, err))
        return err->code;
    if (!event) /* children that all finished already (or none): due at once */
        return store_run(c, WAKE_SQL, STORE_ARGS(STORE_TIME(w->now), STORE_TIME(w->now), STORE_TEXT(j->id)), NULL, err);

    /* A signal that came first is taken now. (The row is written first, then read: a signal sent meanwhile sees WAITING.) */
    if (store_select(c, "SELECT payload FROM job_events WHERE eventKey = ?", STORE_ARGS(STORE_TEXT(f->event_key)), &st, err))
        return err->code;
    rc = store_next(st, err);
    char *payload = rc == 1 && !store_col_null(st, 0) ? xstrdup(store_col_text(st, 0)) : NULL;
    store_finish(st);
    if (rc == 1 &&
        (store_run(c, "UPDATE jobs SET state = 'QUEUED', runAt = ?, event = ?, eventKey = NULL, updatedAt = ? WHERE id = ?",
                   STORE_ARGS(STORE_TIME(w->now), STORE_TEXT(payload ? payload : "null"), STORE_TIME(w->now), STORE_TEXT(j->id)),
                   NULL, err) ||
         store_run(c, "DELETE FROM job_events WHERE eventKey = ?", STORE_ARGS(STORE_TEXT(f->event_key)), NULL, err)))
        rc = -1;
    free(payload);
    return rc < 0 ? err->code : ERR_OK;
}

/* A recurring job's run is over (done or failed): queued again, from step 0, for its next run. */
static enum err_code next_cycle(struct store_conn *c, struct write *w, const char *error, struct err *err)
{
    struct job *j = w->j;
    char next[TIMESTAMP_SIZE];
    int64_t changes = 0;

    clock_format(clock_now_ms() + j->priv->every_seconds * 1000LL, next);
    if (store_run(c,
                  "UPDATE jobs SET state = 'QUEUED', step = 0, data = NULL, secrets = NULL, output = ?, event = NULL, runAt = ?, "
                  "attempts = 0, cycle = cycle + 1, pending = 0, leaseOwner = NULL, leaseExpiresAt = NULL, lastError = ?, "
                  "lastFinishedAt = ?, updatedAt = ? " MINE,
                  STORE_ARGS(STORE_TEXT(w->output), STORE_TIME(next), STORE_TEXT(error), STORE_TIME(w->now), STORE_TIME(w->now),
                             STORE_TEXT(j->id), STORE_TEXT(j->priv->lease)),
                  &changes, err) ||
        lost(w, changes, err))
        return err->code;
    /* This run's children are nobody's now: they are deleted with age like any finished job. */
    return store_run(c, "UPDATE jobs SET parentId = NULL WHERE parentId = ?", STORE_ARGS(STORE_TEXT(j->id)), NULL, err);
}

/* DONE, or a recurring job's next run. */
static enum err_code write_done(struct store_conn *c, struct write *w, struct err *err)
{
    struct job *j = w->j;
    int64_t changes = 0;

    w->woke[0] = '\0';
    if (insert_children(c, w, err))
        return err->code;
    if (j->priv->every_seconds > 0)
        return next_cycle(c, w, NULL, err);
    if (store_run(c,
                  "UPDATE jobs SET state = 'DONE', step = ?, data = ?, secrets = NULL, output = ?, event = NULL, attempts = ?, "
                  "leaseOwner = NULL, leaseExpiresAt = NULL, lastError = NULL, lastFinishedAt = ?, updatedAt = ? " MINE,
                  STORE_ARGS(STORE_INT(j->step), STORE_TEXT(w->data), STORE_TEXT(w->output), STORE_INT(j->attempt),
                             STORE_TIME(w->now), STORE_TIME(w->now), STORE_TEXT(j->id), STORE_TEXT(j->priv->lease)),
                  &changes, err) ||
        lost(w, changes, err))
        return err->code;
    return tell_parent(c, j->priv->parent, w->now, w->woke, err);
}

static enum err_code body_done(struct store_conn *c, void *ctx, struct err *err)
{
    return write_done(c, ctx, err);
}

/* FAIL: retried after a backoff from the state last saved, or FAILED; a recurring job's next run comes anyway. */
static enum err_code body_fail(struct store_conn *c, void *ctx, struct err *err)
{
    struct write *w = ctx;
    struct job *j = w->j;
    const char *why = w->f->err.message;
    char at[TIMESTAMP_SIZE];
    int64_t changes = 0;

    w->woke[0] = '\0';
    if (j->priv->every_seconds > 0)
        return next_cycle(c, w, why, err);
    if (j->attempt < j->priv->max_attempts) {
        int64_t wait_s = 10LL << (j->attempt < 20 ? j->attempt - 1 : 19);
        clock_format(clock_now_ms() + (wait_s < BACKOFF_MAX_S ? wait_s : BACKOFF_MAX_S) * 1000, at);
        if (store_run(c,
                      "UPDATE jobs SET state = 'QUEUED', runAt = ?, attempts = ?, leaseOwner = NULL, leaseExpiresAt = NULL, "
                      "lastError = ?, lastFinishedAt = ?, updatedAt = ? " MINE,
                      STORE_ARGS(STORE_TIME(at), STORE_INT(j->attempt), STORE_TEXT(why), STORE_TIME(w->now), STORE_TIME(w->now),
                                 STORE_TEXT(j->id), STORE_TEXT(j->priv->lease)),
                      &changes, err))
            return err->code;
        return lost(w, changes, err);
    }
    if (store_run(c,
                  "UPDATE jobs SET state = 'FAILED', secrets = NULL, attempts = ?, leaseOwner = NULL, leaseExpiresAt = NULL, "
                  "lastError = ?, lastFinishedAt = ?, updatedAt = ? " MINE,
                  STORE_ARGS(STORE_INT(j->attempt), STORE_TEXT(why), STORE_TIME(w->now), STORE_TIME(w->now), STORE_TEXT(j->id),
                             STORE_TEXT(j->priv->lease)),
                  &changes, err) ||
        lost(w, changes, err))
        return err->code;
    return tell_parent(c, j->priv->parent, w->now, w->woke, err);
}

/* Runs one write of j (with its state as JSON texts) in a transaction of its own. */
static enum err_code write_job(struct jobs *q, struct job *j, const struct frame *f, store_tx_fn body, struct write *w,
                               struct err *err)
{
    struct store_conn *c = NULL;
    char *data = NULL, *sealed = NULL, *output = NULL;

    *w = (struct write){.q = q, .j = j, .f = f};
    clock_now(w->now);
    if (f->kind != OUT_FAIL && seal(q, j, &sealed, err))
        return err->code;
    w->data = data = json_text(j->data);
    w->sealed = sealed;
    w->output = output = json_text(j->output);
    if (store_conn_get(q->store, &c, err) == ERR_OK)
        store_tx(c, body, w, err);
    store_conn_put(c);
    free(data);
    free(sealed);
    free(output);
    return err->code;
}

/* ---- claiming ---- */

struct claimed {
    char id[UUID_SIZE], kind[JOB_KIND_SIZE], tenant[UUID_SIZE], parent[UUID_SIZE], state[16], lease[LEASE_SIZE];
    char *payload, *data, *secrets, *event;
    int attempts, max_attempts, every_seconds, step, cycle;
    bool found;
};

static void claimed_clear(struct claimed *cl)
{
    free(cl->payload);
    free(cl->data);
    free(cl->secrets);
    free(cl->event);
    memset(cl, 0, sizeof *cl);
}

static char *dup_col(struct store_stmt *st, int col)
{
    return store_col_null(st, col) ? NULL : xstrdup(store_col_text(st, col));
}

struct claim_tx {
    struct jobs *q;
    const char *id; /* a given job, or NULL for the next due */
    char lease[LEASE_SIZE];
    struct claimed cl;
};

static enum err_code claim_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct claim_tx *t = ctx;
    struct claimed *cl = &t->cl;
    char now[TIMESTAMP_SIZE], until[TIMESTAMP_SIZE];
    struct store_stmt *st;
    int rc;

    claimed_clear(cl);
    clock_now(now);
    clock_format(clock_now_ms() + (int64_t)t->q->opt.lease_seconds * 1000, until);
    rc = t->id ? store_select(c, store_pick(c, claim_id_sql),
                              STORE_ARGS(STORE_TEXT(t->id), STORE_TIME(now), STORE_TIME(now), STORE_TIME(now)), &st, err)
               : store_select(c, store_pick(c, claim_sql), STORE_ARGS(STORE_TIME(now), STORE_TIME(now), STORE_TIME(now)), &st, err);
    if (rc)
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        snprintf(cl->id, sizeof cl->id, "%s", store_col_text(st, 0));
        snprintf(cl->kind, sizeof cl->kind, "%s", store_col_text(st, 1));
        snprintf(cl->tenant, sizeof cl->tenant, "%s", store_col_null(st, 2) ? "" : store_col_text(st, 2));
        cl->payload = dup_col(st, 3);
        cl->attempts = (int)store_col_int(st, 4) + 1;
        cl->max_attempts = (int)store_col_int(st, 5);
        cl->every_seconds = store_col_null(st, 6) ? 0 : (int)store_col_int(st, 6);
        cl->step = (int)store_col_int(st, 7);
        cl->data = dup_col(st, 8);
        cl->secrets = dup_col(st, 9);
        cl->event = dup_col(st, 10);
        snprintf(cl->state, sizeof cl->state, "%s", store_col_text(st, 11));
        cl->cycle = (int)store_col_int(st, 12);
        snprintf(cl->parent, sizeof cl->parent, "%s", store_col_null(st, 13) ? "" : store_col_text(st, 13));
        memcpy(cl->lease, t->lease, sizeof cl->lease);
        cl->found = true;
    }
    store_finish(st);
    if (rc < 0 || !cl->found)
        return rc < 0 ? err->code : ERR_OK;
    return store_run(c,
                     "UPDATE jobs SET state = 'RUNNING', eventKey = NULL, attempts = attempts + 1, leaseOwner = ?, "
                     "leaseExpiresAt = ?, updatedAt = ? WHERE id = ?",
                     STORE_ARGS(STORE_TEXT(t->lease), STORE_TIME(until), STORE_TIME(now), STORE_TEXT(cl->id)), NULL, err);
}

/* Gives a claimed job back untouched (its attempt not counted), due at run_at_ms. */
static void give_back(struct jobs *q, const struct claimed *cl, int64_t run_at_ms, const char *why)
{
    char now[TIMESTAMP_SIZE], at[TIMESTAMP_SIZE];
    struct store_conn *c = NULL;
    struct err err;

    err_clear(&err);
    clock_now(now);
    clock_format(run_at_ms, at);
    if (store_conn_get(q->store, &c, &err) == ERR_OK)
        store_run(c,
                  "UPDATE jobs SET state = 'QUEUED', runAt = ?, attempts = ?, leaseOwner = NULL, leaseExpiresAt = NULL, "
                  "lastError = ?, updatedAt = ? " MINE,
                  STORE_ARGS(STORE_TIME(at), STORE_INT(cl->attempts - 1), STORE_TEXT(why), STORE_TIME(now), STORE_TEXT(cl->id),
                             STORE_TEXT(cl->lease)),
                  NULL, &err);
    store_conn_put(c);
    if (err.code)
        log_warn("jobs: could not give back %s %s: %s (its lease will run out)", cl->kind, cl->id, err.message);
}

/* Claims the next due job (or the job id), holds it and returns it; NULL when there is none. */
static struct job *claim(struct jobs *q, const char *id)
{
    struct claim_tx t = {.q = q, .id = id};
    struct store_conn *c = NULL;
    struct job *j = NULL;
    const struct job_kind *k;
    struct err err;

    err_clear(&err);
    new_lease(q, t.lease);
    if (store_conn_get(q->store, &c, &err) == ERR_OK)
        store_tx(c, claim_body, &t, &err);
    store_conn_put(c);
    if (err.code)
        log_debug("jobs: no claim this time: %s", err.message);
    if (err.code || !t.cl.found)
        goto out;
    k = kind_of(q, t.cl.kind);
    if (!k) {
        give_back(q, &t.cl, clock_now_ms() + UNKNOWN_KIND_DELAY_S * 1000LL, "no process here knows this kind");
        goto out;
    }
    j = job_alloc(q, k);
    memcpy(j->id, t.cl.id, sizeof j->id);
    memcpy(j->kind, t.cl.kind, sizeof j->kind);
    memcpy(j->tenant, t.cl.tenant, sizeof j->tenant);
    memcpy(j->priv->parent, t.cl.parent, sizeof j->priv->parent);
    memcpy(j->priv->lease, t.cl.lease, sizeof j->priv->lease);
    j->payload = json_object_from(t.cl.payload, "payload", j->id);
    j->data = json_object_from(t.cl.data, "data", j->id);
    j->event = t.cl.event ? json_loads(t.cl.event, JSON_DECODE_ANY, NULL) : NULL;
    j->timed_out = strcmp(t.cl.state, "WAITING") == 0;
    j->step = t.cl.step;
    j->attempt = t.cl.attempts;
    j->cycle = t.cl.cycle;
    j->priv->max_attempts = t.cl.max_attempts;
    j->priv->every_seconds = t.cl.every_seconds;
    pthread_mutex_lock(&q->lock);
    for (struct job *stale = q->held; stale; stale = stale->priv->next)
        if (strcmp(stale->id, j->id) == 0)
            stale->priv->lost = true; /* this process let its lease run out: the copy it still has must not go on */
    hold(q, j);
    pthread_mutex_unlock(&q->lock);
    if (unseal(q, j, t.cl.secrets, &err)) {
        struct frame f = {.kind = OUT_FAIL, .err = err};
        struct write w;
        log_warn("jobs: %s %s: %s", j->kind, j->id, err.message);
        err_clear(&err);
        write_job(q, j, &f, body_fail, &w, &err);
        forget(q, j, &f.err);
        j = NULL;
        goto out;
    }
    if (j->attempt > 1)
        log_info("jobs: running %s %s step %d (attempt %d)", j->kind, j->id, j->step, j->attempt);
    else
        log_debug("jobs: running %s %s step %d (attempt %d)", j->kind, j->id, j->step, j->attempt);
out:
    claimed_clear(&t.cl);
    return j;
}

/* ---- running steps ---- */

/* A job just created as this process's (ch, here): held, and its first step on the way. */
static void run_here(struct jobs *q, const struct job_kind *k, struct child *ch, const char *parent)
{
    struct job *j = job_alloc(q, k);

    memcpy(j->id, ch->id, sizeof j->id);
    memcpy(j->kind, ch->kind, sizeof j->kind);
    memcpy(j->tenant, ch->tenant, sizeof j->tenant);
    memcpy(j->priv->lease, ch->lease, sizeof j->priv->lease);
    snprintf(j->priv->parent, sizeof j->priv->parent, "%s", parent);
    j->payload = ch->payload;
    ch->payload = NULL;
    j->data = json_object();
    j->secrets = json_object();
    j->priv->max_attempts = ch->max_attempts;
    pthread_mutex_lock(&q->lock);
    hold(q, j);
    push(q, j, NULL, NULL);
    pthread_mutex_unlock(&q->lock);
}

/* After a write: the children created here run here. */
static void start_children(struct jobs *q, struct job *parent)
{
    for (struct child *ch = parent->priv->children; ch; ch = ch->next) {
        const struct job_kind *k = kind_of(q, ch->kind);
        if (ch->created && ch->here && k)
            run_here(q, k, ch, parent->id);
    }
    children_free(parent->priv->children);
    parent->priv->children = NULL;
}

/* A parent woken here that someone here waits for is claimed here at once. */
static void claim_woken(struct jobs *q, const char *id)
{
    struct job *j;

    if (!id[0])
        return;
    if (!has_waiter(q, id)) {
        nudge(q);
        return;
    }
    j = claim(q, id);
    if (!j)
        return;
    pthread_mutex_lock(&q->lock);
    push(q, j, NULL, NULL);
    pthread_mutex_unlock(&q->lock);
}

/* The job's step is over: write what it said and go on. */
static void conclude(struct jobs *q, struct job *j, struct frame *f)
{
    struct write w = {0};
    struct err err;

    err_clear(&err);
    detach(j);
    switch (f->kind) {
    case OUT_NEXT:
        if (write_job(q, j, f, body_save, &w, &err))
            break;
        start_children(q, j);
        j->step = f->step;
        j->attempt = 1;
        json_decref((json_t *)j->event);
        j->event = NULL;
        j->timed_out = false;
        pthread_mutex_lock(&q->lock);
        push(q, j, NULL, NULL);
        pthread_mutex_unlock(&q->lock);
        return;
    case OUT_WAIT:
    case OUT_CHILDREN:
        if (write_job(q, j, f, body_wait, &w, &err))
            break;
        start_children(q, j);
        if (f->kind == OUT_WAIT)
            nudge(q); /* a signal may have been waiting for it */
        forget(q, j, NULL);
        return;
    case OUT_DONE:
        if (j->priv->done_in) {
            memcpy(w.woke, j->priv->woke, sizeof w.woke);
        } else if (write_job(q, j, f, body_done, &w, &err)) {
            break;
        }
        start_children(q, j);
        pthread_mutex_lock(&q->lock);
        unhold(q, j);
        pthread_mutex_unlock(&q->lock);
        tell(q, j->id, "DONE", j->output, &err);
        claim_woken(q, w.woke);
        job_free(j);
        return;
    case OUT_FAIL:
    default:
        if (f->kind != OUT_FAIL)
            err_set(&f->err, ERR_INTERNAL, "step %d of %s ended without saying what comes next", j->step, j->kind);
        log_warn("jobs: %s %s step %d (attempt %d of %d) failed: %s", j->kind, j->id, j->step, j->attempt, j->priv->max_attempts,
                 f->err.message);
        f->kind = OUT_FAIL;
        if (write_job(q, j, f, body_fail, &w, &err) == ERR_OK) {
            bool failed = j->priv->every_seconds == 0 && j->attempt >= j->priv->max_attempts;
            pthread_mutex_lock(&q->lock);
            unhold(q, j);
            pthread_mutex_unlock(&q->lock);
            if (failed)
                tell(q, j->id, "FAILED", NULL, &f->err);
            claim_woken(q, w.woke);
            job_free(j);
            return;
        }
        /* Not even the failure could be written: whoever waits here hears the step's own error. */
        err = f->err;
        break;
    }
    if (w.lost) {
        log_warn("jobs: %s %s is no longer this process's (its lease ran out and another took it, or it was cancelled)", j->kind,
                 j->id);
        forget(q, j, NULL); /* its waiters hear from the row when the job ends elsewhere */
        return;
    }
    /* The row still says RUNNING in this process's name: not renewed any more, it runs again once the lease is out. */
    log_warn("jobs: could not record step %d of %s %s: %s (it runs again once its lease is out)", j->step, j->kind, j->id,
             err.message);
    forget(q, j, &err);
}

static void run_step(struct jobs *q, struct job *j)
{
    struct frame f = {.kind = OUT_NONE};

    struct kind_stats *ks = &q->stats[j->priv->kind - q->kinds];
    int64_t started_us = clock_mono_us();

    err_clear(&f.err);
    j->priv->frame = &f;
    j->priv->kind->step(j->priv->kind->ctx, j);
    /* The step's own time on its worker (a parked step's wait for its provider is not counted). */
    metrics_observe(&ks->duration, clock_mono_us() - started_us);
    atomic_fetch_add_explicit(f.kind == OUT_FAIL ? &ks->failed : &ks->ok, 1, memory_order_relaxed);
    if (f.kind == OUT_PARK) /* j may already run on another thread: only f is ours */
        return;
    j->priv->frame = NULL;
    conclude(q, j, &f);
}

static void run_task(struct jobs *q, struct task *t)
{
    struct job *j = t->j;
    bool lost, gone;

    pthread_mutex_lock(&q->lock);
    lost = j->priv->lost;
    gone = lost || q->stopping;
    pthread_mutex_unlock(&q->lock);
    if (t->then) {
        struct frame f = {.kind = OUT_NONE};
        struct write w = {0};
        bool saved;
        err_clear(&f.err);
        saved = !gone && write_job(q, j, &f, body_save, &w, &f.err) == ERR_OK;
        if (!gone && !saved && !w.lost) {
            /* Still this process's, but its progress cannot be kept: the step fails, once what runs has stopped. */
            log_warn("jobs: could not save %s %s mid-step: %s", j->kind, j->id, f.err.message);
            j->priv->cut = xmalloc(sizeof *j->priv->cut);
            *j->priv->cut = f.err;
        } else if (!saved) {
            pthread_mutex_lock(&q->lock);
            j->priv->lost = true; /* whatever runs stops; job_resume drops the job */
            pthread_mutex_unlock(&q->lock);
        }
        t->then(t->arg, saved);
    } else if (j->priv->cut && !gone) {
        struct frame f = {.kind = OUT_FAIL, .err = *j->priv->cut};
        conclude(q, j, &f);
    } else if (gone) {
        if (lost)
            log_warn("jobs: %s %s is no longer this process's (its lease ran out and another took it, or it was cancelled)",
                     j->kind, j->id);
        forget(q, j, NULL);
    } else {
        run_step(q, j);
    }
    free(t);
}

static void *work(void *arg)
{
    struct jobs *q = arg;

    thread_name("job-worker");
    pthread_mutex_lock(&q->lock);
    while (!q->stopping) {
        struct task *t = q->head;
        int64_t now = clock_mono_ms();

        if (t) {
            q->head = t->next;
            if (!q->head)
                q->tail = NULL;
            pthread_mutex_unlock(&q->lock);
            run_task(q, t);
            pthread_mutex_lock(&q->lock);
            continue;
        }
        if (!q->claiming && q->nheld < HELD_MAX && (q->nudged || now >= q->next_poll_ms)) {
            struct job *j;
            q->claiming = true;
            q->nudged = false;
            pthread_mutex_unlock(&q->lock);
            j = claim(q, NULL);
            pthread_mutex_lock(&q->lock);
            q->claiming = false;
            /* One found: there may be more, look again at once (another worker may); none: in a while. */
            q->next_poll_ms = j ? 0 : clock_mono_ms() + q->opt.poll_ms;
            if (j) {
                pthread_cond_signal(&q->wake);
                pthread_mutex_unlock(&q->lock);
                run_step(q, j);
                pthread_mutex_lock(&q->lock);
            }
            continue;
        }
        struct timespec until;
        int64_t wait_ms = q->next_poll_ms > now ? q->next_poll_ms - now : q->opt.poll_ms;
        clock_deadline(&until, wait_ms < q->opt.poll_ms ? wait_ms : q->opt.poll_ms);
        pthread_cond_timedwait(&q->wake, &q->lock, &until);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* ---- the keeper: leases, waiters, old rows ---- */

/* A job held here and its lease. */
struct held_lease {
    char id[UUID_SIZE], lease[LEASE_SIZE];
};

/* The jobs held here, copied (*n of them; caller frees). */
static struct held_lease *held_leases(struct jobs *q, int *n)
{
    struct held_lease *out;

    pthread_mutex_lock(&q->lock);
    out = xcalloc((size_t)q->nheld + 1, sizeof *out);
    *n = 0;
    for (struct job *j = q->held; j && *n < q->nheld; j = j->priv->next, (*n)++) {
        memcpy(out[*n].id, j->id, UUID_SIZE);
        memcpy(out[*n].lease, j->priv->lease, LEASE_SIZE);
    }
    pthread_mutex_unlock(&q->lock);
    return out;
}

/*
 * Leases are renewed RENEW_BATCH jobs a statement: a process can hold
 * hundreds of jobs at once (parked on their provider calls), and a pass of
 * one round trip each grows with them until, on a loaded machine, it can
 * outlast the last ones' leases, which then run out while still held here
 * (docs/reliability.md, "A key sent twice"). A claim's
 * lease text is its own (host, process, claim), so a row whose id and
 * lease are both in the lists is one of the pairs (a lease is written
 * into its own job's row only).
 */
#define RENEW_BATCH 16
#define RENEW_SLOTS "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
static const char renew_sql[] =
    "UPDATE jobs SET leaseExpiresAt = ? WHERE state = 'RUNNING' AND id IN (" RENEW_SLOTS ") AND leaseOwner IN (" RENEW_SLOTS ")";
static const char renewed_sql[] =
    "SELECT leaseOwner FROM jobs WHERE state = 'RUNNING' AND id IN (" RENEW_SLOTS ") AND leaseOwner IN (" RENEW_SLOTS ")";
_Static_assert(sizeof RENEW_SLOTS == RENEW_BATCH * 3 - 1, "one slot a job of the batch");

/* Marks lost the job held here under lease. */
static void lease_lost(struct jobs *q, const char *lease)
{
    pthread_mutex_lock(&q->lock);
    for (struct job *j = q->held; j; j = j->priv->next)
        if (strcmp(j->priv->lease, lease) == 0)
            j->priv->lost = true;
    pthread_mutex_unlock(&q->lock);
}

/*
 * Renews held[0..n) (n <= RENEW_BATCH) until `until`; when fewer rows changed
 * than n, the ones still this process's are read back and the others are
 * marked lost (taken over or cancelled, or just ended here: whatever they
 * do next is not written).
 */
static enum err_code renew_batch(struct jobs *q, struct store_conn *c, const struct held_lease *held, int n, const char *until,
                                 struct err *err)
{
    struct store_val args[1 + 2 * RENEW_BATCH];
    bool still[RENEW_BATCH] = {false};
    struct store_stmt *st;
    int64_t changes = 0;
    int rc;

    args[0] = STORE_TIME(until);
    for (int i = 0; i < RENEW_BATCH; i++) { /* the unused slots repeat the first pair */
        args[1 + i] = STORE_TEXT(held[i < n ? i : 0].id);
        args[1 + RENEW_BATCH + i] = STORE_TEXT(held[i < n ? i : 0].lease);
    }
    if (store_run(c, renew_sql, args, ARRAY_LEN(args), &changes, err) || changes == n)
        return err->code;
    if (store_select(c, renewed_sql, args + 1, ARRAY_LEN(args) - 1, &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1)
        for (int i = 0; i < n; i++)
            if (strcmp(store_col_text(st, 0), held[i].lease) == 0)
                still[i] = true;
    store_finish(st);
    if (rc < 0)
        return err->code;
    for (int i = 0; i < n; i++)
        if (!still[i])
            lease_lost(q, held[i].lease);
    return ERR_OK;
}

/* Renews the lease of every job held here; one that is no longer this process's is marked lost. */
static void renew(struct jobs *q)
{
    char until[TIMESTAMP_SIZE];
    struct store_conn *c = NULL;
    struct err err;
    int n;
    struct held_lease *held = held_leases(q, &n);

    err_clear(&err);
    clock_format(clock_now_ms() + (int64_t)q->opt.lease_seconds * 1000, until);
    if (n > 0 && store_conn_get(q->store, &c, &err) == ERR_OK)
        for (int i = 0; i < n && !err.code; i += RENEW_BATCH)
            renew_batch(q, c, held + i, n - i < RENEW_BATCH ? n - i : RENEW_BATCH, until, &err);
    store_conn_put(c);
    if (err.code)
        log_warn("jobs: could not renew leases: %s", err.message);
    free(held);
}

/* Waiters of jobs not held here learn from the row when those have ended. */
static void poll_waiters(struct jobs *q)
{
    char(*ids)[UUID_SIZE] = NULL;
    struct store_conn *c = NULL;
    struct err err;
    int n = 0, cap = 0;

    pthread_mutex_lock(&q->lock);
    for (struct waiter *w = q->waiters; w; w = w->next)
        cap++;
    if (cap > 0)
        ids = xcalloc((size_t)cap, sizeof *ids);
    for (struct waiter *w = q->waiters; w && n < cap; w = w->next)
        if (!is_held(q, w->id))
            memcpy(ids[n++], w->id, UUID_SIZE);
    pthread_mutex_unlock(&q->lock);
    err_clear(&err);
    if (n > 0 && store_conn_get(q->store, &c, &err) == ERR_OK) {
        for (int i = 0; i < n; i++) {
            struct store_stmt *st;
            int rc;
            if (store_select(c, "SELECT state, output, lastError FROM jobs WHERE id = ?", STORE_ARGS(STORE_TEXT(ids[i])), &st,
                             &err))
                break;
            rc = store_next(st, &err);
            char state[16] = "";
            json_t *output = NULL;
            struct err why;
            err_clear(&why);
            if (rc == 1) {
                snprintf(state, sizeof state, "%s", store_col_text(st, 0));
                output = store_col_null(st, 1) ? NULL : json_loads(store_col_text(st, 1), JSON_DECODE_ANY, NULL);
                if (strcmp(state, "DONE") != 0)
                    err_set(&why, strcmp(state, "CANCELLED") == 0 ? ERR_CONFLICT : ERR_UNAVAILABLE, "%s",
                            store_col_null(st, 2) ? state : store_col_text(st, 2));
            }
            store_finish(st);
            if (rc < 0)
                break;
            if (rc == 0) {
                err_set(&why, ERR_NOT_FOUND, "the job is gone");
                tell(q, ids[i], NULL, NULL, &why);
            } else if (strcmp(state, "DONE") == 0 || strcmp(state, "FAILED") == 0 || strcmp(state, "CANCELLED") == 0) {
                tell(q, ids[i], state, output, &why);
            }
            json_decref(output);
        }
    }
    store_conn_put(c);
    free(ids);
}

/* Deletes finished jobs (with their children) and unclaimed signals older than the retention. */
static void purge(struct jobs *q)
{
    char cutoff[TIMESTAMP_SIZE];
    struct store_conn *c = NULL;
    int64_t jobs = 0, events = 0;
    struct err err;

    err_clear(&err);
    clock_format(clock_now_ms() - (int64_t)q->opt.retention_s * 1000, cutoff);
    if (store_conn_get(q->store, &c, &err) == ERR_OK &&
        store_run(c, "DELETE FROM jobs WHERE parentId IS NULL AND state IN ('DONE', 'FAILED', 'CANCELLED') AND lastFinishedAt < ?",
                  STORE_ARGS(STORE_TIME(cutoff)), &jobs, &err) == ERR_OK)
        store_run(c, "DELETE FROM job_events WHERE createdAt < ?", STORE_ARGS(STORE_TIME(cutoff)), &events, &err);
    store_conn_put(c);
    if (err.code)
        log_warn("jobs: could not delete old jobs: %s", err.message);
    else if (jobs + events > 0)
        log_info("jobs: deleted %lld finished job(s) and %lld unclaimed signal(s) older than %d s", (long long)jobs,
                 (long long)events, q->opt.retention_s);
}

/*
 * A signal and a wait that cross: jobs_signal_in keeps the signal, then wakes
 * the jobs WAITING for it; job_wait writes WAITING, then takes a kept
 * signal. On a database that reads committed rows only (PostgreSQL,
 * MariaDB), the two transactions can each miss the other's uncommitted row:
 * the signal is kept and the job waits on. The keeper hands such kept
 * signals over (at most RESCUE_BATCH a turn), so the job wakes a turn later
 * instead of at its deadline. Each handover is a compare-and-swap on both
 * rows: the job still waiting for that key, the signal still the one read.
 */
#define RESCUE_BATCH 100

static void rescue_signals(struct jobs *q)
{
    struct {
        char id[UUID_SIZE], key[256], at[TIMESTAMP_SIZE];
        char *payload;
    } found[RESCUE_BATCH];
    char now[TIMESTAMP_SIZE];
    struct store_conn *c = NULL;
    struct store_stmt *st;
    struct err err;
    int n = 0;

    err_clear(&err);
    if (store_conn_get(q->store, &c, &err))
        return;
    if (store_select(c,
                     "SELECT j.id, e.eventKey, e.payload, e.createdAt FROM job_events e JOIN jobs j ON j.eventKey = e.eventKey "
                     "WHERE j.state = 'WAITING' LIMIT ?",
                     STORE_ARGS(STORE_INT(RESCUE_BATCH)), &st, &err) == ERR_OK) {
        while (n < RESCUE_BATCH && store_next(st, &err) == 1) {
            snprintf(found[n].id, sizeof found[n].id, "%s", store_col_text(st, 0));
            snprintf(found[n].key, sizeof found[n].key, "%s", store_col_text(st, 1));
            found[n].payload = store_col_null(st, 2) ? NULL : xstrdup(store_col_text(st, 2));
            snprintf(found[n].at, sizeof found[n].at, "%s", store_col_text(st, 3));
            n++;
        }
        store_finish(st);
    }
    clock_now(now);
    for (int i = 0; i < n; i++) {
        int64_t woken = 0;
        struct err e;
        err_clear(&e);
        if (store_run(c,
                      "UPDATE jobs SET state = 'QUEUED', runAt = ?, event = ?, eventKey = NULL, updatedAt = ? WHERE id = ? AND "
                      "state = 'WAITING' AND eventKey = ?",
                      STORE_ARGS(STORE_TIME(now), STORE_TEXT(found[i].payload ? found[i].payload : "null"), STORE_TIME(now),
                                 STORE_TEXT(found[i].id), STORE_TEXT(found[i].key)),
                      &woken, &e) == ERR_OK &&
            woken > 0) {
            store_run(c, "DELETE FROM job_events WHERE eventKey = ? AND createdAt = ?",
                      STORE_ARGS(STORE_TEXT(found[i].key), STORE_TIME(found[i].at)), NULL, &e);
            log_info("jobs: job %s woken by a signal kept while it started waiting", found[i].id);
        }
        free(found[i].payload);
    }
    store_conn_put(c);
    if (n)
        nudge(q);
}

static void *keep(void *arg)
{
    struct jobs *q = arg;
    int64_t next_renew = clock_mono_ms() + q->opt.lease_seconds * 1000LL / 3, next_purge = clock_mono_ms();
    int64_t tick = q->opt.poll_ms < q->opt.lease_seconds * 1000LL / 3 ? q->opt.poll_ms : q->opt.lease_seconds * 1000LL / 3;

    thread_name("job-keeper");
    pthread_mutex_lock(&q->lock);
    while (!q->stopping) {
        struct timespec until;
        clock_deadline(&until, tick);
        pthread_cond_timedwait(&q->keeper_wake, &q->lock, &until);
        if (q->stopping)
            break;
        bool waiters = q->waiters != NULL;
        pthread_mutex_unlock(&q->lock);
        int64_t now = clock_mono_ms();
        if (now >= next_renew) {
            renew(q);
            rescue_signals(q);
            next_renew = now + q->opt.lease_seconds * 1000LL / 3;
        }
        if (waiters)
            poll_waiters(q);
        if (now >= next_purge) {
            purge(q);
            next_purge = now + PURGE_EVERY_MS;
        }
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

/* ---- what a step ends with ---- */

static struct frame *frame_of(struct job *j)
{
    assert(j->priv->frame && j->priv->frame->kind == OUT_NONE); /* one ending per step, from the step */
    return j->priv->frame;
}

void job_next(struct job *j, int step)
{
    struct frame *f = frame_of(j);
    f->kind = OUT_NEXT;
    f->step = step;
}

void job_done(struct job *j)
{
    frame_of(j)->kind = OUT_DONE;
}

void job_fail(struct job *j, const struct err *err)
{
    struct frame *f = frame_of(j);
    f->kind = OUT_FAIL;
    f->err = *err;
    if (!f->err.code)
        err_set(&f->err, ERR_INTERNAL, "failed without saying why");
    j->priv->done_in = false;
}

void job_wait(struct job *j, int step, const char *event_key, int64_t deadline_ms)
{
    struct frame *f = frame_of(j);
    f->kind = OUT_WAIT;
    f->step = step;
    snprintf(f->event_key, sizeof f->event_key, "%s", event_key);
    f->deadline_ms = deadline_ms;
}

void job_wait_children(struct job *j, int step)
{
    struct frame *f = frame_of(j);
    f->kind = OUT_CHILDREN;
    f->step = step;
}

void job_park(struct job *j)
{
    struct frame *f = frame_of(j);
    j->priv->frame = NULL; /* before anything can resume it */
    f->kind = OUT_PARK;
}

void job_resume(struct job *j)
{
    struct jobs *q = j->priv->q;

    pthread_mutex_lock(&q->lock);
    if (q->stopped) {
        pthread_mutex_unlock(&q->lock);
        forget(q, j, NULL);
        return;
    }
    push(q, j, NULL, NULL);
    pthread_mutex_unlock(&q->lock);
}

void job_attach(struct job *j, void *p, void (*free_fn)(void *))
{
    detach(j);
    j->priv->attached = p;
    j->priv->attached_free = free_fn;
}

void *job_attached(const struct job *j)
{
    return j->priv->attached;
}

void job_checkpoint(struct job *j, void (*then)(void *arg, bool saved), void *arg)
{
    struct jobs *q = j->priv->q;

    pthread_mutex_lock(&q->lock);
    if (q->stopped) {
        pthread_mutex_unlock(&q->lock);
        then(arg, false);
        return;
    }
    push(q, j, then, arg);
    pthread_mutex_unlock(&q->lock);
}

void job_key(const struct job *j, char out[JOB_KEY_SIZE])
{
    snprintf(out, JOB_KEY_SIZE, "%s.%d.%d", j->id, j->cycle, j->step);
}

static struct child *child_of(const struct job_new *n)
{
    struct child *ch = xcalloc(1, sizeof *ch);
    snprintf(ch->kind, sizeof ch->kind, "%s", n->kind);
    snprintf(ch->tenant, sizeof ch->tenant, "%s", n->tenant ? n->tenant : "");
    ch->dedupe = n->dedupe_key ? xstrdup(n->dedupe_key) : NULL;
    ch->payload = n->payload ? json_deep_copy(n->payload) : json_object();
    ch->secrets = n->secrets ? json_deep_copy(n->secrets) : NULL;
    ch->not_before_ms = n->not_before_ms;
    ch->max_attempts = n->max_attempts > 0 ? n->max_attempts : DEFAULT_MAX_ATTEMPTS;
    ch->here = n->here;
    return ch;
}

void job_child(struct job *j, const struct job_new *n)
{
    struct child *ch = child_of(n), **p = &j->priv->children;

    assert(!n->done); /* a parent waits for its children itself */
    while (*p)
        p = &(*p)->next;
    *p = ch;
}

enum err_code job_children(struct job *j, json_t **out, struct err *err)
{
    struct store_conn *c = NULL;
    struct store_stmt *st;
    int rc = 0;

    *out = json_array();
    if (store_conn_get(j->priv->q->store, &c, err) == ERR_OK &&
        store_select(c, "SELECT id, kind, state, payload, output, lastError FROM jobs WHERE parentId = ? ORDER BY createdAt, id",
                     STORE_ARGS(STORE_TEXT(j->id)), &st, err) == ERR_OK) {
        while ((rc = store_next(st, err)) == 1) {
            json_t *payload = store_col_null(st, 3) ? NULL : json_loads(store_col_text(st, 3), 0, NULL);
            json_t *output = store_col_null(st, 4) ? NULL : json_loads(store_col_text(st, 4), JSON_DECODE_ANY, NULL);
            json_array_append_new(*out,
                                  json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", store_col_text(st, 0), "kind",
                                            store_col_text(st, 1), "state", store_col_text(st, 2), "payload",
                                            payload ? payload : json_object(), "output", output ? output : json_null(), "error",
                                            store_col_null(st, 5) ? json_null() : json_string(store_col_text(st, 5))));
        }
        store_finish(st);
    }
    store_conn_put(c);
    if (err->code) {
        json_decref(*out);
        *out = NULL;
    }
    return err->code;
}

enum err_code job_done_in(struct store_conn *c, struct job *j, struct err *err)
{
    struct frame f = {.kind = OUT_DONE};
    struct write w = {.q = j->priv->q, .j = j, .f = &f};
    char *data = json_text(j->data), *output = json_text(j->output);

    clock_now(w.now);
    w.data = data;
    w.output = output;
    j->priv->done_in = write_done(c, &w, err) == ERR_OK;
    memcpy(j->priv->woke, w.woke, sizeof j->priv->woke);
    free(data);
    free(output);
    return err->code;
}

/* ---- the engine ---- */

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
    if (q->opt.workers < 1)
        q->opt.workers = 1;
    if (q->opt.retention_s < 60)
        q->opt.retention_s = 60;
    gethostname(host, sizeof host - 1);
    rand_uuid(tag);
    snprintf(q->owner, sizeof q->owner, "%.48s:%ld:%.8s", host, (long)getpid(), tag + 28);
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    pthread_cond_init(&q->keeper_wake, NULL);
    q->workers = xcalloc((size_t)q->opt.workers, sizeof *q->workers);
    for (int i = 0; i < q->opt.workers; i++)
        if (pthread_create(&q->workers[i], NULL, work, q) != 0) {
            log_error("jobs: cannot start threads");
            abort();
        }
    if (pthread_create(&q->keeper, NULL, keep, q) != 0) {
        log_error("jobs: cannot start threads");
        abort();
    }
    log_info("jobs: %s started %d worker(s) (lease %d s)", q->owner, q->opt.workers, q->opt.lease_seconds);
    return q;
}

void jobs_stop(struct jobs *q)
{
    struct task *tasks;
    struct waiter *waiters;
    char now[TIMESTAMP_SIZE];
    struct store_conn *c = NULL;
    struct held_lease *held;
    int64_t given = 0;
    struct err err;
    int n;

    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_broadcast(&q->wake);
    pthread_cond_broadcast(&q->keeper_wake);
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < q->opt.workers; i++)
        pthread_join(q->workers[i], NULL);
    pthread_join(q->keeper, NULL);

    pthread_mutex_lock(&q->lock);
    q->stopped = true;
    tasks = q->head;
    q->head = q->tail = NULL;
    pthread_mutex_unlock(&q->lock);
    while (tasks) {
        struct task *next = tasks->next;
        if (tasks->then)
            tasks->then(tasks->arg, false); /* it stops, and its job_resume drops the job */
        else
            forget(q, tasks->j, NULL);
        free(tasks);
        tasks = next;
    }

    /* Everything held here is given back at once, not counted as an attempt. */
    err_clear(&err);
    clock_now(now);
    held = held_leases(q, &n);
    if (n > 0 && store_conn_get(q->store, &c, &err) == ERR_OK)
        for (int i = 0; i < n && !err.code; i++) {
            int64_t changes = 0;
            store_run(c,
                      "UPDATE jobs SET state = 'QUEUED', runAt = ?, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 "
                      "END, leaseOwner = NULL, leaseExpiresAt = NULL, lastError = 'interrupted by a shutdown', updatedAt = ? " MINE,
                      STORE_ARGS(STORE_TIME(now), STORE_TIME(now), STORE_TEXT(held[i].id), STORE_TEXT(held[i].lease)), &changes,
                      &err);
            given += changes;
        }
    store_conn_put(c);
    free(held);
    if (err.code)
        log_warn("jobs: could not give back this process's jobs: %s (their leases will run out)", err.message);
    else if (given > 0)
        log_info("jobs: gave back %lld job(s) on the way out", (long long)given);

    pthread_mutex_lock(&q->lock);
    waiters = q->waiters;
    q->waiters = NULL;
    pthread_mutex_unlock(&q->lock);
    err_set(&err, ERR_UNAVAILABLE, "the server is shutting down");
    while (waiters) {
        struct waiter *next = waiters->next;
        struct job_result r = {waiters->id, NULL, NULL, &err};
        waiters->done(&r, waiters->ctx);
        free(waiters);
        waiters = next;
    }
}

void jobs_free(struct jobs *q)
{
    if (!q)
        return;
    while (q->held) {
        struct job *j = q->held;
        unhold(q, j);
        job_free(j);
    }
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->wake);
    pthread_cond_destroy(&q->keeper_wake);
    free(q->workers);
    free(q->stats);
    free(q);
}

struct enqueue_tx {
    struct jobs *q;
    struct child *ch;
};

static enum err_code enqueue_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct enqueue_tx *t = ctx;
    return insert(c, t->q, t->ch, NULL, err);
}

enum err_code jobs_enqueue(struct jobs *q, const struct job_new *n, char id[UUID_SIZE], struct err *err)
{
    struct child *ch;
    struct store_conn *c = NULL;
    struct enqueue_tx t;
    bool stopping;

    if (n->here && !kind_of(q, n->kind))
        return err_set(err, ERR_INVALID, "no job kind %s here", n->kind);
    pthread_mutex_lock(&q->lock);
    stopping = q->stopping;
    pthread_mutex_unlock(&q->lock);
    if (stopping)
        return err_set(err, ERR_UNAVAILABLE, "the server is shutting down");
    ch = child_of(n);
    t = (struct enqueue_tx){q, ch};
    if (store_conn_get(q->store, &c, err) == ERR_OK)
        store_tx(c, enqueue_body, &t, err);
    store_conn_put(c);
    if (err->code) {
        children_free(ch);
        return err->code;
    }
    memcpy(id, ch->id, UUID_SIZE);
    if (n->done) {
        struct waiter *w = xcalloc(1, sizeof *w);
        memcpy(w->id, ch->id, sizeof w->id);
        w->done = n->done;
        w->ctx = n->ctx;
        pthread_mutex_lock(&q->lock);
        w->next = q->waiters;
        q->waiters = w;
        pthread_mutex_unlock(&q->lock);
    }
    if (ch->created && ch->here)
        run_here(q, kind_of(q, ch->kind), ch, "");
    else
        nudge(q);
    children_free(ch);
    return ERR_OK;
}

enum err_code jobs_enqueue_in(struct store_conn *c, struct jobs *q, const struct job_new *n, char id[UUID_SIZE], struct err *err)
{
    struct job_new queued = *n;
    struct child *ch;

    queued.here = false; /* nobody here may run it before the caller's transaction commits */
    ch = child_of(&queued);
    if (insert(c, q, ch, NULL, err) == ERR_OK)
        memcpy(id, ch->id, UUID_SIZE);
    children_free(ch);
    return err->code;
}

void jobs_nudge(struct jobs *q)
{
    nudge(q);
}

struct cancel_tx {
    const char *tenant, *id;
    bool found;
};

/* Cancels id (of tenant, when given) and its unfinished children, depth levels down. */
static enum err_code cancel_tree(struct store_conn *c, const char *tenant, const char *id, int depth, bool *found, struct err *err)
{
    char now[TIMESTAMP_SIZE], parent[UUID_SIZE] = "";
    char(*children)[UUID_SIZE] = NULL;
    struct store_stmt *st;
    int64_t changes = 0;
    int n = 0, cap = 0, rc;

    *found = false;
    clock_now(now);
    if (tenant
            ? store_run(c,
                        "UPDATE jobs SET state = 'CANCELLED', leaseOwner = NULL, leaseExpiresAt = NULL, eventKey = NULL, "
                        "secrets = NULL, lastError = 'cancelled', lastFinishedAt = ?, updatedAt = ? WHERE id = ? AND "
                        "tenantId = ? AND " UNFINISHED,
                        STORE_ARGS(STORE_TIME(now), STORE_TIME(now), STORE_TEXT(id), STORE_TEXT(tenant)), &changes, err)
            : store_run(c,
                        "UPDATE jobs SET state = 'CANCELLED', leaseOwner = NULL, leaseExpiresAt = NULL, eventKey = NULL, "
                        "secrets = NULL, lastError = 'cancelled', lastFinishedAt = ?, updatedAt = ? WHERE id = ? AND " UNFINISHED,
                        STORE_ARGS(STORE_TIME(now), STORE_TIME(now), STORE_TEXT(id)), &changes, err))
        return err->code;
    if (changes != 1)
        return ERR_OK;
    *found = true;
    if (store_select(c, "SELECT parentId FROM jobs WHERE id = ?", STORE_ARGS(STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1 && !store_col_null(st, 0))
        snprintf(parent, sizeof parent, "%s", store_col_text(st, 0));
    store_finish(st);
    if (rc < 0 || tell_parent(c, parent, now, NULL, err))
        return err->code;
    if (depth >= CANCEL_DEPTH_MAX)
        return ERR_OK;
    if (store_select(c, "SELECT id FROM jobs WHERE parentId = ? AND " UNFINISHED, STORE_ARGS(STORE_TEXT(id)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            children = xrealloc(children, (size_t)cap * sizeof *children);
        }
        snprintf(children[n++], UUID_SIZE, "%s", store_col_text(st, 0));
    }
    store_finish(st);
    for (int i = 0; rc == 0 && i < n; i++) {
        bool child_found;
        if (cancel_tree(c, NULL, children[i], depth + 1, &child_found, err))
            rc = -1;
    }
    free(children);
    return err->code;
}

static enum err_code cancel_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct cancel_tx *t = ctx;
    return cancel_tree(c, t->tenant, t->id, 0, &t->found, err);
}

enum err_code jobs_cancel(struct jobs *q, const char *tenant, const char *id, struct err *err)
{
    struct cancel_tx t = {tenant, id, false};
    struct store_conn *c = NULL;
    struct err why;

    if (store_conn_get(q->store, &c, err) == ERR_OK)
        store_tx(c, cancel_body, &t, err);
    store_conn_put(c);
    if (err->code)
        return err->code;
    if (!t.found)
        return err_set(err, ERR_NOT_FOUND, "no such job, or it has finished");
    pthread_mutex_lock(&q->lock);
    for (struct job *j = q->held; j; j = j->priv->next)
        if (strcmp(j->id, id) == 0)
            j->priv->lost = true;
    pthread_mutex_unlock(&q->lock);
    err_clear(&why);
    err_set(&why, ERR_CONFLICT, "the job was cancelled");
    tell(q, id, "CANCELLED", NULL, &why);
    return ERR_OK;
}

enum err_code jobs_signal_in(struct store_conn *c, const char *event_key, const json_t *payload, struct err *err)
{
    char now[TIMESTAMP_SIZE], *text = json_text(payload);
    int64_t woken = 0;

    clock_now(now);
    /* Kept first, then the waiting ones woken: a job that starts waiting meanwhile finds one or the other. */
    if (store_run(c, store_pick(c, event_sql), STORE_ARGS(STORE_TEXT(event_key), STORE_TEXT(text), STORE_TIME(now)), NULL, err) ==
            ERR_OK &&
        store_run(c, store_pick(c, wake_sql),
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(text ? text : "null"), STORE_TIME(now), STORE_TEXT(event_key)), &woken,
                  err) == ERR_OK &&
        woken > 0)
        store_run(c, "DELETE FROM job_events WHERE eventKey = ?", STORE_ARGS(STORE_TEXT(event_key)), NULL, err);
    free(text);
    return err->code;
}

struct signal_tx {
    const char *key;
    const json_t *payload;
};

static enum err_code signal_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct signal_tx *t = ctx;
    return jobs_signal_in(c, t->key, t->payload, err);
}

enum err_code jobs_signal(struct jobs *q, const char *event_key, const json_t *payload, struct err *err)
{
    struct signal_tx t = {event_key, payload};
    struct store_conn *c = NULL;

    if (store_conn_get(q->store, &c, err) == ERR_OK)
        store_tx(c, signal_body, &t, err);
    store_conn_put(c);
    if (!err->code)
        nudge(q);
    return err->code;
}

enum err_code jobs_finish_waiting_in(struct store_conn *c, const char *event_key, const json_t *output, int64_t *finished,
                                     struct err *err)
{
    char now[TIMESTAMP_SIZE], id[UUID_SIZE], parent[UUID_SIZE], *text = json_text(output);
    struct store_stmt *st;
    int64_t changes;
    int rc;

    *finished = 0;
    clock_now(now);
    /* One at a time: a build's key has one waiter; the statement is finished before the writes. */
    for (;;) {
        if (store_select(c, store_pick(c, waiting_sql), STORE_ARGS(STORE_TEXT(event_key)), &st, err))
            break;
        if ((rc = store_next(st, err)) == 1) {
            snprintf(id, sizeof id, "%s", store_col_text(st, 0));
            snprintf(parent, sizeof parent, "%s", store_col_null(st, 1) ? "" : store_col_text(st, 1));
        }
        store_finish(st);
        changes = 0;
        if (rc != 1 ||
            store_run(c,
                      "UPDATE jobs SET state = 'DONE', secrets = NULL, output = ?, event = NULL, eventKey = NULL, "
                      "leaseOwner = NULL, leaseExpiresAt = NULL, lastError = NULL, lastFinishedAt = ?, updatedAt = ? "
                      "WHERE id = ? AND state = 'WAITING'",
                      STORE_ARGS(STORE_TEXT(text), STORE_TIME(now), STORE_TIME(now), STORE_TEXT(id)), &changes, err) ||
            changes != 1 || tell_parent(c, parent, now, NULL, err))
            break;
        (*finished)++;
    }
    free(text);
    return err->code;
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

/* The jobs of every process, by kind and state, from the table; DONE rows are history. */
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
                     "SELECT kind, state, COUNT(*), MIN(runAt) FROM jobs "
                     "WHERE state IN ('QUEUED', 'RUNNING', 'WAITING', 'FAILED', 'CANCELLED') "
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
                   "Jobs in the database (every process's) by kind and state: QUEUED, RUNNING, WAITING, FAILED, CANCELLED.");
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
                   "Job steps this process ran, by kind and outcome (ok, or error: retried or failed).");
    for (size_t i = 0; q && i < q->nkinds; i++) {
        metrics_escape(kind, sizeof kind, q->kinds[i].name);
        metrics_printf(m, "slipway_job_runs_total{kind=\"%s\",outcome=\"ok\"} %llu\n", kind,
                       (unsigned long long)atomic_load_explicit(&q->stats[i].ok, memory_order_relaxed));
        metrics_printf(m, "slipway_job_runs_total{kind=\"%s\",outcome=\"error\"} %llu\n", kind,
                       (unsigned long long)atomic_load_explicit(&q->stats[i].failed, memory_order_relaxed));
    }
    metrics_family(m, "slipway_job_run_duration_seconds", "histogram",
                   "How long this process's job steps took on their worker, by kind.");
    for (size_t i = 0; q && i < q->nkinds; i++) {
        char labels[160];
        metrics_escape(kind, sizeof kind, q->kinds[i].name);
        snprintf(labels, sizeof labels, "kind=\"%s\"", kind);
        metrics_histogram_write(m, "slipway_job_run_duration_seconds", labels, &q->stats[i].duration);
    }
    if (c)
        jobs_table_metrics(c, m);
}
