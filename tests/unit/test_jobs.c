/*
 * Unit tests of the workflow engine (src/jobs/jobs.h) on real SQLite files:
 * steps and their saved state, waits for a signal (before and after the
 * job waits) and for a deadline, children, retries, cancelling, dedupe
 * keys, a pool in which a blocked step stalls nobody else, parking with a
 * checkpoint, a takeover after the lease ran out (the stale process cannot
 * write over the new one), and a provider call as a job's step resumed by
 * another engine at the call's saved step with the same idempotency key.
 * Two engines on one file stand for two processes. Nothing here asserts a
 * duration: waits are bounded (10 s) and fail when the thing never comes.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "jobs/jobs.h"
#include "providers/call.h"
#include "store/migrate.h"
#include "store/store.h"

#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static char dir[] = "/tmp/slipway-jobs-XXXXXX";
static int dbn;
static struct keyring *keys;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *current; /* the database the predicates below look at */

/* ---- helpers ---- */

static struct store *open_db(const char *url)
{
    struct store *s = NULL;
    struct err err;
    err_clear(&err);
    assert_int_equal(store_open(url, NULL, &s, &err), ERR_OK);
    return s;
}

static struct store *fresh(char url[256])
{
    struct store *s;
    struct err err;
    snprintf(url, 256, "sqlite://%s/j%d.db", dir, dbn++);
    s = open_db(url);
    err_clear(&err);
    assert_int_equal(migrate_up(s, migrate_set_for(s), NULL, &err), ERR_OK);
    return s;
}

static struct jobs *start_polling(struct store *s, const struct job_kind *kinds, size_t n, int workers, int poll_ms)
{
    struct jobs_options o = {.lease_seconds = 2, .poll_ms = poll_ms, .workers = workers, .retention_s = 3600, .keys = keys};
    return jobs_start(s, kinds, n, &o);
}

static struct jobs *start(struct store *s, const struct job_kind *kinds, size_t n, int workers)
{
    return start_polling(s, kinds, n, workers, 20);
}

/*
 * The process that is to "die" in a takeover: it claims what it is handed
 * at once (an enqueue nudges it), then looks for due jobs only after a
 * minute, so the job whose lease the test lets run out goes to the other.
 */
static struct jobs *start_mortal(struct store *s, const struct job_kind *kinds, size_t n)
{
    return start_polling(s, kinds, n, 1, 60000);
}

static void stop(struct jobs *q)
{
    jobs_stop(q);
    jobs_free(q);
}

/* The first column of the first row of sql (one ? bound to arg), as a string the caller frees; NULL for none or NULL. */
static char *value(struct store *s, const char *sql, const char *arg)
{
    struct store_conn *c;
    struct store_stmt *st;
    struct err err;
    char *out = NULL;
    err_clear(&err);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    assert_int_equal(store_select(c, sql, STORE_ARGS(STORE_TEXT(arg)), &st, &err), ERR_OK);
    if (store_next(st, &err) == 1 && !store_col_null(st, 0))
        out = strdup(store_col_text(st, 0));
    store_finish(st);
    store_conn_put(c);
    return out;
}

static void run(struct store *s, const char *sql, const char *arg)
{
    struct store_conn *c;
    struct err err;
    err_clear(&err);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    assert_int_equal(store_run(c, sql, STORE_ARGS(STORE_TEXT(arg)), NULL, &err), ERR_OK);
    store_conn_put(c);
}

static bool state_is(struct store *s, const char *id, const char *state)
{
    char *v = value(s, "SELECT state FROM jobs WHERE id = ?", id);
    bool same = v && strcmp(v, state) == 0;
    free(v);
    return same;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (at most 10 s) until pred(arg). */
static bool eventually(bool (*pred)(void *), void *arg)
{
    for (int i = 0; i < 1000; i++) {
        if (pred(arg))
            return true;
        pause_ms(10);
    }
    return pred(arg);
}

/* A job's end as its waiter heard it. */
struct heard {
    bool done;
    char state[16];
    int code;
    json_t *output;
};

static void hear(const struct job_result *r, void *ctx)
{
    struct heard *h = ctx;
    pthread_mutex_lock(&lock);
    snprintf(h->state, sizeof h->state, "%s", r->state ? r->state : "");
    h->code = r->err ? (int)r->err->code : 0;
    h->output = r->output ? json_deep_copy(r->output) : NULL;
    h->done = true;
    pthread_mutex_unlock(&lock);
}

static bool heard(void *arg)
{
    struct heard *h = arg;
    pthread_mutex_lock(&lock);
    bool done = h->done;
    pthread_mutex_unlock(&lock);
    return done;
}

static void enqueue(struct jobs *q, const char *kind, json_t *payload, struct heard *h, char id[UUID_SIZE])
{
    struct job_new n = {.kind = kind, .payload = payload, .done = h ? hear : NULL, .ctx = h};
    struct err err;
    err_clear(&err);
    assert_int_equal(jobs_enqueue(q, &n, id, &err), ERR_OK);
    json_decref(payload);
}

/* ---- kinds ---- */

/* Three steps: state kept between them (secrets encrypted in the row), a wait for a signal in the middle. */
static void steps_step(void *ctx, struct job *j)
{
    char key[JOB_EVENT_KEY_SIZE];
    (void)ctx;
    switch (j->step) {
    case 0:
        json_object_set_new(j->data, "n", json_integer(1));
        json_object_set_new(j->secrets, "token", json_string("tok-XYZ-plain"));
        job_next(j, 1);
        return;
    case 1:
        json_object_set_new(j->data, "n", json_integer(json_integer_value(json_object_get(j->data, "n")) + 1));
        json_object_set_new(j->data, "sawToken", json_boolean(json_object_get(j->secrets, "token") != NULL));
        snprintf(key, sizeof key, "steps:%s", j->id);
        job_wait(j, 2, key, JOB_NO_DEADLINE);
        return;
    default:
        j->output = json_pack("{s:O, s:O, s:O?, s:b}", "n", json_object_get(j->data, "n"), "sawToken",
                              json_object_get(j->data, "sawToken"), "event", j->event, "timedOut", j->timed_out);
        job_done(j);
    }
}

/* Waits for the key in its payload (or until its deadline), then says what woke it. */
static void waiter_step(void *ctx, struct job *j)
{
    json_int_t in_ms = json_integer_value(json_object_get(j->payload, "deadlineInMs"));
    (void)ctx;
    if (j->step == 0) {
        job_wait(j, 1, json_string_value(json_object_get(j->payload, "key")), in_ms ? clock_now_ms() + in_ms : JOB_NO_DEADLINE);
        return;
    }
    j->output = json_pack("{s:O?, s:b}", "event", j->event, "timedOut", j->timed_out);
    job_done(j);
}

static void child_step(void *ctx, struct job *j)
{
    struct err err;
    (void)ctx;
    err_clear(&err);
    if (json_is_true(json_object_get(j->payload, "fail"))) {
        err_set(&err, ERR_INVALID, "child %d fails", (int)json_integer_value(json_object_get(j->payload, "i")));
        job_fail(j, &err);
        return;
    }
    j->output = json_pack("{s:O}", "i", json_object_get(j->payload, "i"));
    job_done(j);
}

static void parent_step(void *ctx, struct job *j)
{
    json_t *children, *c;
    struct err err;
    size_t i;
    int done = 0, failed = 0;
    (void)ctx;
    if (j->step == 0) {
        for (int k = 0; k < 3; k++) {
            json_t *p = json_pack("{s:i, s:b}", "i", k, "fail", k == 1);
            job_child(j, &(struct job_new){.kind = "child", .payload = p, .max_attempts = 1, .here = k == 2});
            json_decref(p);
        }
        job_wait_children(j, 1);
        return;
    }
    err_clear(&err);
    if (job_children(j, &children, &err)) {
        job_fail(j, &err);
        return;
    }
    json_array_foreach(children, i, c)
    {
        done += strcmp(json_string_value(json_object_get(c, "state")), "DONE") == 0;
        failed += strcmp(json_string_value(json_object_get(c, "state")), "FAILED") == 0;
    }
    j->output = json_pack("{s:i, s:i, s:i}", "children", (int)json_array_size(children), "done", done, "failed", failed);
    json_decref(children);
    job_done(j);
}

/* Fails its first attempt. */
static void flaky_step(void *ctx, struct job *j)
{
    struct err err;
    (void)ctx;
    err_clear(&err);
    if (j->attempt == 1) {
        err_set(&err, ERR_UNAVAILABLE, "not this time");
        job_fail(j, &err);
        return;
    }
    j->output = json_pack("{s:i}", "attempt", j->attempt);
    job_done(j);
}

static void quick_step(void *ctx, struct job *j)
{
    (void)ctx;
    j->output = json_pack("{s:b}", "quick", 1);
    job_done(j);
}

/* Blocks its worker until the test lets it go. */
static pthread_cond_t unblocked = PTHREAD_COND_INITIALIZER;
static bool let_go, blocking;

static void block_step(void *ctx, struct job *j)
{
    (void)ctx;
    pthread_mutex_lock(&lock);
    blocking = true;
    while (!let_go)
        pthread_cond_wait(&unblocked, &lock);
    pthread_mutex_unlock(&lock);
    job_done(j);
}

/* Parks; the test saves it (checkpoint) and resumes it with something attached. */
static struct job *parked;

static void park_step(void *ctx, struct job *j)
{
    (void)ctx;
    if (!job_attached(j)) {
        pthread_mutex_lock(&lock);
        parked = j;
        pthread_mutex_unlock(&lock);
        job_park(j);
        return;
    }
    j->output = json_pack("{s:s}", "attached", (const char *)job_attached(j));
    job_done(j);
}

/* Goes to step 1 and parks there (for a takeover); step 1 done by whoever runs it next. */
static void hang_step(void *ctx, struct job *j)
{
    if (j->step == 0) {
        job_next(j, 1);
        return;
    }
    if (strcmp(ctx, "A") == 0) {
        pthread_mutex_lock(&lock);
        parked = j;
        pthread_mutex_unlock(&lock);
        job_park(j);
        return;
    }
    j->output = json_pack("{s:s, s:i}", "by", (const char *)ctx, "attempt", j->attempt);
    job_done(j);
}

/* Says which secret it was created with (job_new.secrets). */
static void given_step(void *ctx, struct job *j)
{
    (void)ctx;
    j->output = json_pack("{s:s?}", "token", json_string_value(json_object_get(j->secrets, "token")));
    job_done(j);
}

static const struct job_kind kinds[] = {
    {"steps", steps_step, NULL},   {"waiter", waiter_step, NULL}, {"child", child_step, NULL},
    {"parent", parent_step, NULL}, {"flaky", flaky_step, NULL},   {"quick", quick_step, NULL},
    {"block", block_step, NULL},   {"park", park_step, NULL},     {"given", given_step, NULL},
};

/* ---- tests ---- */

static bool is_waiting(void *id)
{
    return state_is(current, id, "WAITING");
}

static void test_steps_keep_their_state(void **unused)
{
    char url[256], id[UUID_SIZE], key[JOB_EVENT_KEY_SIZE];
    struct store *s = fresh(url);
    struct jobs *q = start(s, kinds, ARRAY_LEN(kinds), 2);
    struct heard h = {0};
    struct err err;
    (void)unused;

    current = s;
    enqueue(q, "steps", NULL, &h, id);
    assert_true(eventually(is_waiting, id));
    char *data = value(s, "SELECT data FROM jobs WHERE id = ?", id),
         *sealed = value(s, "SELECT secrets FROM jobs WHERE id = ?", id);
    char *step = value(s, "SELECT step FROM jobs WHERE id = ?", id);
    assert_non_null(strstr(data, "\"n\":2"));
    assert_non_null(sealed);
    assert_null(strstr(sealed, "tok-XYZ-plain")); /* encrypted, bound to the row */
    assert_string_equal(step, "2");
    free(data), free(sealed), free(step);
    assert_false(heard(&h));

    snprintf(key, sizeof key, "steps:%s", id);
    err_clear(&err);
    json_t *payload = json_pack("{s:i}", "build", 7);
    assert_int_equal(jobs_signal(q, key, payload, &err), ERR_OK);
    json_decref(payload);
    assert_true(eventually(heard, &h));
    assert_string_equal(h.state, "DONE");
    assert_int_equal(json_integer_value(json_object_get(h.output, "n")), 2);
    assert_true(json_is_true(json_object_get(h.output, "sawToken")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(h.output, "event"), "build")), 7);
    assert_false(json_is_true(json_object_get(h.output, "timedOut")));
    assert_null(value(s, "SELECT secrets FROM jobs WHERE id = ?", id)); /* a finished job keeps no secret */
    assert_null(value(s, "SELECT eventKey FROM job_events WHERE eventKey = ?", key));
    json_decref(h.output);
    stop(q);
    store_close(s);
}

/* A job created with secrets: sealed in its row from the start (bound to it), its step reads them, its end wipes them. */
static void test_a_job_starts_with_its_secrets(void **unused)
{
    char url[256], id[UUID_SIZE], later[UUID_SIZE];
    struct store *s = fresh(url);
    struct jobs *q = start(s, kinds, ARRAY_LEN(kinds), 2);
    json_t *secrets = json_pack("{s:s}", "token", "given-PLAIN-tok");
    struct heard h = {0};
    struct err err;
    (void)unused;

    current = s;
    err_clear(&err);
    struct job_new n = {.kind = "given", .secrets = secrets, .not_before_ms = clock_now_ms() + 3600000};
    assert_int_equal(jobs_enqueue(q, &n, later, &err), ERR_OK);
    char *sealed = value(s, "SELECT secrets FROM jobs WHERE id = ?", later);
    assert_non_null(sealed);
    assert_null(strstr(sealed, "given-PLAIN-tok"));
    free(sealed);
    n = (struct job_new){.kind = "given", .secrets = secrets, .done = hear, .ctx = &h};
    assert_int_equal(jobs_enqueue(q, &n, id, &err), ERR_OK);
    json_decref(secrets);
    assert_true(eventually(heard, &h));
    assert_string_equal(h.state, "DONE");
    assert_string_equal(json_string_value(json_object_get(h.output, "token")), "given-PLAIN-tok");
    assert_null(value(s, "SELECT secrets FROM jobs WHERE id = ?", id));
    json_decref(h.output);
    stop(q);
    store_close(s);
}

static void test_a_signal_before_the_wait_is_kept(void **unused)
{
    char url[256], id[UUID_SIZE];
    struct store *s = fresh(url);
    struct jobs *q = start(s, kinds, ARRAY_LEN(kinds), 2);
    struct heard h = {0};
    struct err err;
    (void)unused;

    err_clear(&err);
    json_t *payload = json_pack("{s:s}", "status", "green");
    assert_int_equal(jobs_signal(q, "build:early", payload, &err), ERR_OK);
    json_decref(payload);
    char *kept = value(s, "SELECT payload FROM job_events WHERE eventKey = ?", "build:early");
    assert_non_null(kept);
    free(kept);
    enqueue(q, "waiter", json_pack("{s:s}", "key", "build:early"), &h, id);
    assert_true(eventually(heard, &h));
    assert_string_equal(h.state, "DONE");
    assert_string_equal(json_string_value(json_object_get(json_object_get(h.output, "event"), "status")), "green");
    assert_null(value(s, "SELECT eventKey FROM job_events WHERE eventKey = ?", "build:early")); /* taken */
    json_decref(h.output);
    stop(q);
    store_close(s);
}

struct finish_tx {
    const char *key;
    int64_t finished;
};

static enum err_code finish_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct finish_tx *t = ctx;
    json_t *output = json_pack("{s:s}", "status", "SUCCEEDED");
    jobs_finish_waiting_in(c, t->key, output, &t->finished, err);
    json_decref(output);
    return err->code;
}

/* How many jobs waiting on key one transaction of the sender's ended. */
static int64_t finish_waiting(struct store *s, const char *key)
{
    struct finish_tx t = {key, -1};
    struct store_conn *c;
    struct err err;
    err_clear(&err);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    assert_int_equal(store_tx(c, finish_body, &t, &err), ERR_OK);
    store_conn_put(c);
    return t.finished;
}

/* A sender that did the waiting step's work ends the waiting job in its own transaction: DONE, no worker's turn. */
static void test_a_waiting_job_ended_by_its_sender(void **unused)
{
    char url[256], id[UUID_SIZE], other[UUID_SIZE];
    struct store *s = fresh(url);
    struct jobs *q = start(s, kinds, ARRAY_LEN(kinds), 1);
    (void)unused;

    current = s;
    assert_int_equal(finish_waiting(s, "build:nobody"), 0); /* nothing waits: nothing kept, nothing ended */
    assert_null(value(s, "SELECT eventKey FROM job_events WHERE eventKey = ?", "build:nobody"));
    enqueue(q, "waiter", json_pack("{s:s}", "key", "build:done"), NULL, id);
    enqueue(q, "waiter", json_pack("{s:s}", "key", "build:other"), NULL, other);
    assert_true(eventually(is_waiting, id));
    assert_true(eventually(is_waiting, other));
    assert_int_equal(finish_waiting(s, "build:done"), 1);
    assert_true(state_is(s, id, "DONE"));
    char *output = value(s, "SELECT output FROM jobs WHERE id = ?", id);
    assert_non_null(output);
    assert_non_null(strstr(output, "SUCCEEDED"));
    free(output);
    assert_null(value(s, "SELECT eventKey FROM jobs WHERE id = ?", id));
    assert_int_equal(finish_waiting(s, "build:done"), 0); /* once */
    assert_true(state_is(s, other, "WAITING"));           /* another key's waiter is untouched */
    stop(q);
    store_close(s);
}

/* A fresh database whose engine runs one job of kind to its end (h: what its waiter heard); the store stays open. */
static struct store *run_to_end(const char *kind, json_t *payload, int workers, struct heard *h, char id[UUID_SIZE])
{
    char url[256];
    struct store *s = fresh(url);
    struct jobs *q = start(s, kinds, ARRAY_LEN(kinds), workers);

    enqueue(q, kind, payload, h, id);
    assert_true(eventually(heard, h));
    assert_string_equal(h->state, "DONE");
    stop(q);
    return s;
}

static void test_a_wait_ends_at_its_deadline(void **unused)
{
    char id[UUID_SIZE];
    struct heard h = {0};
    struct store *s = run_to_end("waiter", json_pack("{s:s, s:i}", "key", "never", "deadlineInMs", 50), 1, &h, id);
    (void)unused;

    assert_true(json_is_true(json_object_get(h.output, "timedOut")));
    assert_true(json_is_null(json_object_get(h.output, "event")) || !json_object_get(h.output, "event"));
    json_decref(h.output);
    store_close(s);
}

static void test_a_parent_waits_for_its_children(void **unused)
{
    char id[UUID_SIZE];
    struct heard h = {0};
    struct store *s = run_to_end("parent", NULL, 2, &h, id);
    (void)unused;

    assert_int_equal(json_integer_value(json_object_get(h.output, "children")), 3);
    assert_int_equal(json_integer_value(json_object_get(h.output, "done")), 2);
    assert_int_equal(json_integer_value(json_object_get(h.output, "failed")), 1);
    char *pending = value(s, "SELECT pending FROM jobs WHERE id = ?", id);
    assert_string_equal(pending, "0");
    free(pending);
    json_decref(h.output);
    store_close(s);
}

static bool is_queued_again(void *id)
{
    char *attempts = value(current, "SELECT attempts FROM jobs WHERE id = ? AND state = 'QUEUED'", id);
    bool yes = attempts && strcmp(attempts, "1") == 0;
    free(attempts);
    return yes;
}

static void test_a_failed_step_is_retried(void **unused)
{
    char url[256], id[UUID_SIZE];
    struct store *s = fresh(url);
    struct jobs *q = start(s, kinds, ARRAY_LEN(kinds), 1);
    struct heard h = {0};
    (void)unused;

    current = s;
    enqueue(q, "flaky", NULL, &h, id);
    assert_true(eventually(is_queued_again, id));
    char *why = value(s, "SELECT lastError FROM jobs WHERE id = ?", id);
    assert_string_equal(why, "not this time");
    free(why);
    assert_false(heard(&h)); /* retried later (10 s), not failed */
    run(s, "UPDATE jobs SET runAt = '2000-01-01T00:00:00.000Z' WHERE id = ?", id);
    assert_true(eventually(heard, &h));
    assert_string_equal(h.state, "DONE");
    assert_int_equal(json_integer_value(json_object_get(h.output, "attempt")), 2);
    json_decref(h.output);
    stop(q);
    store_close(s);
}

static void test_cancel_and_dedupe(void **unused)
{
    char url[256], id[UUID_SIZE], again[UUID_SIZE];
    struct store *s = fresh(url);
    struct jobs *q = start(s, kinds, ARRAY_LEN(kinds), 1);
    struct heard h = {0};
    struct err err;
    (void)unused;

    struct job_new n = {.kind = "quick", .dedupe_key = "once", .not_before_ms = clock_now_ms() + 3600000, .done = hear, .ctx = &h};
    err_clear(&err);
    assert_int_equal(jobs_enqueue(q, &n, id, &err), ERR_OK);
    n.done = NULL;
    assert_int_equal(jobs_enqueue(q, &n, again, &err), ERR_OK);
    assert_string_equal(id, again); /* the same job */
    char *count = value(s, "SELECT COUNT(*) FROM jobs WHERE dedupeKey = ?", "once");
    assert_string_equal(count, "1");
    free(count);

    assert_int_equal(jobs_cancel(q, "00000000-0000-7000-8000-000000000000", id, &err), ERR_NOT_FOUND); /* not that tenant's */
    err_clear(&err);
    assert_int_equal(jobs_cancel(q, NULL, id, &err), ERR_OK);
    assert_true(eventually(heard, &h));
    assert_string_equal(h.state, "CANCELLED");
    assert_true(state_is(s, id, "CANCELLED"));
    assert_int_equal(jobs_cancel(q, NULL, id, &err), ERR_NOT_FOUND);
    stop(q);
    store_close(s);
}

static bool is_blocking(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&lock);
    bool b = blocking;
    pthread_mutex_unlock(&lock);
    return b;
}

static void test_a_blocked_step_stalls_nobody_else(void **unused)
{
    char url[256], id[UUID_SIZE], quick[UUID_SIZE];
    struct store *s = fresh(url);
    struct jobs *q = start(s, kinds, ARRAY_LEN(kinds), 2);
    struct heard h = {0}, hb = {0};
    (void)unused;

    enqueue(q, "block", NULL, &hb, id);
    assert_true(eventually(is_blocking, NULL));
    enqueue(q, "quick", NULL, &h, quick);
    assert_true(eventually(heard, &h)); /* while the other still blocks its worker */
    assert_string_equal(h.state, "DONE");
    assert_false(heard(&hb));
    json_decref(h.output);
    pthread_mutex_lock(&lock);
    let_go = true;
    pthread_cond_broadcast(&unblocked);
    pthread_mutex_unlock(&lock);
    assert_true(eventually(heard, &hb));
    json_decref(hb.output);
    stop(q);
    store_close(s);
}

static bool is_parked(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&lock);
    bool p = parked != NULL;
    pthread_mutex_unlock(&lock);
    return p;
}

static bool checkpoint_saved;
static char *checkpoint_data;

static void after_checkpoint(void *arg, bool saved)
{
    struct job *j = arg;
    pthread_mutex_lock(&lock);
    checkpoint_saved = saved;
    pthread_mutex_unlock(&lock);
    checkpoint_data = value(current, "SELECT data FROM jobs WHERE id = ?", j->id);
    job_attach(j, strdup("hello"), free);
    job_resume(j);
}

static void test_a_parked_job_holds_no_worker(void **unused)
{
    char url[256], id[UUID_SIZE], quick[UUID_SIZE];
    struct store *s = fresh(url);
    struct jobs *q = start(s, kinds, ARRAY_LEN(kinds), 1);
    struct heard h = {0}, hq = {0};
    struct job *j;
    (void)unused;

    current = s;
    parked = NULL;
    enqueue(q, "park", NULL, &h, id);
    assert_true(eventually(is_parked, NULL));
    enqueue(q, "quick", NULL, &hq, quick); /* the one worker is free */
    assert_true(eventually(heard, &hq));
    json_decref(hq.output);

    pthread_mutex_lock(&lock);
    j = parked;
    pthread_mutex_unlock(&lock);
    json_object_set_new(j->data, "cursor", json_string("page-2"));
    job_checkpoint(j, after_checkpoint, j);
    assert_true(eventually(heard, &h));
    assert_true(checkpoint_saved);
    assert_non_null(strstr(checkpoint_data, "page-2"));
    free(checkpoint_data);
    assert_string_equal(json_string_value(json_object_get(h.output, "attached")), "hello");
    json_decref(h.output);
    stop(q);
    store_close(s);
}

static bool resumed_unsaved;

static void resume_unsaved(void *arg, bool saved)
{
    pthread_mutex_lock(&lock);
    resumed_unsaved = !saved;
    pthread_mutex_unlock(&lock);
    job_resume(arg);
}

static void test_a_checkpoint_that_cannot_be_kept_fails_the_step(void **unused)
{
    char url[256], id[UUID_SIZE];
    struct store *s = fresh(url);
    struct jobs_options o = {.lease_seconds = 2, .poll_ms = 20, .workers = 1, .retention_s = 3600, .keys = NULL};
    struct jobs *q = jobs_start(s, kinds, ARRAY_LEN(kinds), &o);
    struct heard h = {0};
    struct err err;
    struct job *j;
    (void)unused;

    parked = NULL;
    err_clear(&err);
    assert_int_equal(jobs_enqueue(q, &(struct job_new){.kind = "park", .max_attempts = 1, .done = hear, .ctx = &h}, id, &err),
                     ERR_OK);
    assert_true(eventually(is_parked, NULL));
    pthread_mutex_lock(&lock);
    j = parked;
    pthread_mutex_unlock(&lock);
    json_object_set_new(j->secrets, "token", json_string("no-key-to-keep-me")); /* and no key to encrypt it with */
    job_checkpoint(j, resume_unsaved, j);
    assert_true(eventually(heard, &h));
    assert_true(resumed_unsaved);
    assert_string_equal(h.state, "FAILED");
    assert_int_equal(h.code, ERR_UNAVAILABLE);
    assert_true(state_is(s, id, "FAILED"));
    stop(q);
    store_close(s);
}

static bool is_done(void *id)
{
    return state_is(current, id, "DONE");
}

static void test_a_takeover_and_the_stale_process(void **unused)
{
    static const struct job_kind a_kinds[] = {{"hang", hang_step, "A"}}, b_kinds[] = {{"hang", hang_step, "B"}};
    char url[256], id[UUID_SIZE];
    struct store *s = fresh(url), *s2 = open_db(url);
    struct jobs *a = start_mortal(s, a_kinds, 1), *b;
    struct job *j;
    (void)unused;

    current = s;
    parked = NULL;
    enqueue(a, "hang", NULL, NULL, id);
    assert_true(eventually(is_parked, NULL));
    /* A dies (it stops renewing, and its lease is out); B starts. */
    run(s, "UPDATE jobs SET leaseOwner = 'dead:1:x', leaseExpiresAt = '2000-01-01T00:00:00.000Z' WHERE id = ?", id);
    b = start(s2, b_kinds, 1, 1);
    assert_true(eventually(is_done, id));
    char *output = value(s, "SELECT output FROM jobs WHERE id = ?", id);
    assert_non_null(strstr(output, "\"by\":\"B\""));
    assert_non_null(strstr(output, "\"attempt\":2")); /* step 1 again: where the job was */
    free(output);
    /* A wakes up and ends its step: nothing it writes lands. */
    pthread_mutex_lock(&lock);
    j = parked;
    pthread_mutex_unlock(&lock);
    job_resume(j);
    pause_ms(200);
    output = value(s, "SELECT output FROM jobs WHERE id = ?", id);
    assert_non_null(strstr(output, "\"by\":\"B\""));
    free(output);
    stop(b);
    stop(a);
    store_close(s2);
    store_close(s);
}

#define MANY_HELD 20 /* more than one renewal statement's worth (jobs.c, RENEW_BATCH) */

static struct store *counted;

/* The count sql (one ? bound to arg) finds in the store under test. */
static long count_of(const char *sql, const char *arg)
{
    char *n = value(counted, sql, arg);
    long out = n ? strtol(n, NULL, 10) : -1;
    free(n);
    return out;
}

static bool all_held(void *unused)
{
    (void)unused;
    return count_of("SELECT COUNT(*) FROM jobs WHERE state = 'RUNNING' AND step = ?", "1") == MANY_HELD;
}

static bool renewed_but_one(void *unused)
{
    (void)unused;
    return count_of("SELECT COUNT(*) FROM jobs WHERE leaseExpiresAt < ?", "2999-01-01T00:00:00.000Z") == MANY_HELD - 1;
}

/* Leases renewed in batches: every job held is renewed, and one taken over meanwhile is left to its new holder. */
static void test_many_leases_renewed_together(void **unused)
{
    static const struct job_kind hang_kinds[] = {{"hang", hang_step, "A"}};
    char url[256], id[UUID_SIZE], taken[UUID_SIZE];
    struct store *s = fresh(url);
    struct jobs *a = start(s, hang_kinds, 1, 2);
    (void)unused;

    counted = s;
    for (int i = 0; i < MANY_HELD; i++)
        enqueue(a, "hang", NULL, NULL, i == 0 ? taken : id);
    assert_true(eventually(all_held, NULL));
    /* Every lease marked (a renewal writes now + the lease over it); the first job taken over by another process. */
    run(s, "UPDATE jobs SET leaseExpiresAt = '2999-01-01T00:00:00.000Z' WHERE kind = ?", "hang");
    run(s, "UPDATE jobs SET leaseOwner = 'other:1:x' WHERE id = ?", taken);
    assert_true(eventually(renewed_but_one, NULL)); /* a renewal comes every lease / 3 */
    char *owner = value(s, "SELECT leaseOwner FROM jobs WHERE id = ?", taken);
    char *until = value(s, "SELECT leaseExpiresAt FROM jobs WHERE id = ?", taken);
    assert_string_equal(owner, "other:1:x");
    assert_non_null(strstr(until, "2999-01-01"));
    free(owner);
    free(until);
    stop(a);
    store_close(s);
}

/* ---- a provider call as a job's step ---- */

struct sent {
    char url[128], key[128];
    outbound_done_fn done;
    void *ctx;
};
static struct sent sent[8];
static int nsent;

static enum err_code capture(struct outbound *o, const struct outbound_call *c, struct err *err)
{
    (void)o, (void)err;
    pthread_mutex_lock(&lock);
    struct sent *s = &sent[nsent++];
    snprintf(s->url, sizeof s->url, "%s", c->url);
    snprintf(s->key, sizeof s->key, "%s", c->headers && c->headers[0] ? c->headers[0] : "");
    s->done = c->done;
    s->ctx = c->ctx;
    pthread_mutex_unlock(&lock);
    return ERR_OK;
}

static const struct provider_loop loop = {.timeout_ms = 1000, .submit = capture};

/* Two requests: the first's answer gives an edit id and a token, kept in the call's state. */
static void two_steps(struct provider_call *c, const struct outbound_response *res)
{
    char url[64], key[128];
    const char *headers[] = {key, NULL};

    if (!res) {
        snprintf(url, sizeof url, "http://fake.invalid/%d", c->state.step);
        snprintf(key, sizeof key, "Idempotency-Key: %s", json_string_value(json_object_get(c->input, "idempotencyKey")));
        provider_request(c, "POST", url, headers, NULL, NULL);
        return;
    }
    if (c->state.step == 0) {
        json_object_set_new(c->state.data, "edit", json_string("e1"));
        json_object_set_new(c->state.secrets, "token", json_string("t0k-plain"));
        provider_next(c, 1);
        return;
    }
    provider_finish(c, VERDICT_VALID, "edit %s, token kept: %s", provider_data_text(c, "edit"),
                    strcmp(provider_secret_text(c, "token"), "t0k-plain") == 0 ? "yes" : "no");
}

static const struct provider fake_provider = {.type = "FAKE", .display = "Fake"};

static void call_step(void *ctx, struct job *j)
{
    struct provider_call *c = provider_call_of(j);
    if (!c) {
        provider_call_in_job(provider_call_new(&loop, &fake_provider, two_steps, json_object(), NULL, NULL, NULL, NULL), j);
        return;
    }
    j->output = json_pack("{s:s, s:s}", "by", (const char *)ctx, "message", c->message);
    job_done(j);
}

static int nsent_now(void)
{
    pthread_mutex_lock(&lock);
    int n = nsent;
    pthread_mutex_unlock(&lock);
    return n;
}

static bool sent_2(void *unused)
{
    (void)unused;
    return nsent_now() >= 2;
}

static bool sent_3(void *unused)
{
    (void)unused;
    return nsent_now() >= 3;
}

static bool sent_1(void *unused)
{
    (void)unused;
    return nsent_now() >= 1;
}

static void answer(int i)
{
    struct outbound_response res = {.failure = OUTBOUND_OK, .status = 200, .body = "{}", .len = 2, .headers = ""};
    sent[i].done(&res, sent[i].ctx);
}

static void test_a_call_resumes_at_its_step_elsewhere(void **unused)
{
    static const struct job_kind a_kinds[] = {{"call", call_step, "A"}}, b_kinds[] = {{"call", call_step, "B"}};
    char url[256], id[UUID_SIZE], expected[160];
    struct store *s = fresh(url), *s2 = open_db(url);
    struct jobs *a = start_mortal(s, a_kinds, 1), *b;
    (void)unused;

    current = s;
    nsent = 0;
    enqueue(a, "call", NULL, NULL, id);
    assert_true(eventually(sent_1, NULL));
    snprintf(expected, sizeof expected, "Idempotency-Key: %s.0.0", id);
    assert_string_equal(sent[0].url, "http://fake.invalid/0");
    assert_string_equal(sent[0].key, expected);
    answer(0); /* step 0 done: the call's state is saved before step 1's request goes out */
    assert_true(eventually(sent_2, NULL));
    assert_string_equal(sent[1].url, "http://fake.invalid/1");
    char *data = value(s, "SELECT data FROM jobs WHERE id = ?", id),
         *sealed = value(s, "SELECT secrets FROM jobs WHERE id = ?", id);
    assert_non_null(strstr(data, "\"step\":1"));
    assert_non_null(strstr(data, "e1"));
    assert_non_null(sealed);
    assert_null(strstr(sealed, "t0k-plain"));
    free(data), free(sealed);

    /* A dies mid-call; B takes the job and sends step 1's request again, with the same key. */
    run(s, "UPDATE jobs SET leaseOwner = 'dead:1:x', leaseExpiresAt = '2000-01-01T00:00:00.000Z' WHERE id = ?", id);
    b = start(s2, b_kinds, 1, 1);
    assert_true(eventually(sent_3, NULL));
    assert_string_equal(sent[2].url, "http://fake.invalid/1");
    assert_string_equal(sent[2].key, expected);
    answer(2);
    assert_true(eventually(is_done, id));
    char *output = value(s, "SELECT output FROM jobs WHERE id = ?", id);
    assert_non_null(strstr(output, "\"by\":\"B\""));
    assert_non_null(strstr(output, "edit e1, token kept: yes"));
    free(output);
    answer(1); /* A's answer comes late: its end does not land */
    pause_ms(200);
    output = value(s, "SELECT output FROM jobs WHERE id = ?", id);
    assert_non_null(strstr(output, "\"by\":\"B\""));
    free(output);
    stop(b);
    stop(a);
    store_close(s2);
    store_close(s);
}

static int setup(void **unused)
{
    struct err err;
    (void)unused;
    err_clear(&err);
    if (!mkdtemp(dir) || keyring_new(KEY, NULL, &keys, &err))
        return -1;
    return 0;
}

static int teardown(void **unused)
{
    char cmd[128];
    (void)unused;
    keyring_free(keys);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps_keep_their_state),
        cmocka_unit_test(test_a_job_starts_with_its_secrets),
        cmocka_unit_test(test_a_signal_before_the_wait_is_kept),
        cmocka_unit_test(test_a_waiting_job_ended_by_its_sender),
        cmocka_unit_test(test_a_wait_ends_at_its_deadline),
        cmocka_unit_test(test_a_parent_waits_for_its_children),
        cmocka_unit_test(test_a_failed_step_is_retried),
        cmocka_unit_test(test_cancel_and_dedupe),
        cmocka_unit_test(test_a_blocked_step_stalls_nobody_else),
        cmocka_unit_test(test_a_parked_job_holds_no_worker),
        cmocka_unit_test(test_a_checkpoint_that_cannot_be_kept_fails_the_step),
        cmocka_unit_test(test_a_takeover_and_the_stale_process),
        cmocka_unit_test(test_many_leases_renewed_together),
        cmocka_unit_test(test_a_call_resumes_at_its_step_elsewhere),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
