/* endpoints.c: outbound webhooks, signed and delivered as durable jobs (endpoints.h). */
#include "notify/endpoints.h"

#include <pthread.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/encode.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "events/catalog.h"
#include "jobs/jobs.h"
#include "notify/notify.h"
#include "outbound/outbound.h"
#include "usage/usage.h"

#define SECRET_PREFIX "whsec_"

void endpoints_secret_new(char out[ENDPOINT_SECRET_SIZE])
{
    unsigned char raw[ENDPOINT_SECRET_BYTES];

    rand_bytes(raw, sizeof raw);
    memcpy(out, SECRET_PREFIX, strlen(SECRET_PREFIX));
    b64_encode(raw, sizeof raw, out + strlen(SECRET_PREFIX));
    hash_cleanse(raw, sizeof raw);
}

enum err_code endpoints_sign(const char *secret, const char *id, long long timestamp, const char *body, size_t len,
                             char out[ENDPOINT_SIGNATURE_SIZE], struct err *err)
{
    unsigned char key[64], mac[SHA256_BYTES];
    size_t n = strlen(secret) - strlen(SECRET_PREFIX);
    long keylen = -1;
    char head[128];
    struct buf signed_text;

    if (strncmp(secret, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0 && n <= sizeof key / 3 * 4)
        keylen = b64_decode(secret + strlen(SECRET_PREFIX), n, key);
    if (keylen <= 0)
        return err_set(err, ERR_INVALID, "the endpoint's secret is not a whsec_ secret");
    snprintf(head, sizeof head, "%s.%lld.", id, timestamp);
    buf_init(&signed_text, strlen(head) + len + 1);
    buf_appends(&signed_text, head);
    buf_append(&signed_text, body, len);
    hash_hmac_sha256(key, (size_t)keylen, signed_text.data, signed_text.len, mac);
    memcpy(out, "v1,", 3);
    b64_encode(mac, sizeof mac, out + 3);
    buf_free(&signed_text);
    hash_cleanse(key, sizeof key);
    return ERR_OK;
}

/* The endpoint's current secret, re-encrypted where the rotated-out one is kept, into *out (malloc'ed); NULL when none. */
static enum err_code secret_keep(struct store_conn *c, const struct keyring *keys, const char *tenant, const char *id, char **out,
                                 struct err *err)
{
    struct secret_place from = ENDPOINT_SECRET_PLACE(tenant, id), to = ENDPOINT_PREVIOUS_PLACE(tenant, id);
    struct plaintext *old = NULL;
    struct store_stmt *st;
    int rc;

    *out = NULL;
    if (store_select(c, "SELECT secret FROM webhook_endpoints WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1 && secret_decrypt(keys, &from, store_col_text(st, 0), &old, err) == ERR_OK)
        secret_encrypt(keys, &to, old->data, old->len, out, err);
    store_finish(st);
    plaintext_free(old);
    return err->code;
}

enum err_code endpoints_secret_rotate(struct store_conn *c, const struct keyring *keys, const char *tenant, const char *id,
                                      const char *stored, long long overlap, const char *now, int64_t *changes, struct err *err)
{
    char until[TIMESTAMP_SIZE], *previous = NULL;
    int64_t at = 0;

    if (overlap > 0 && secret_keep(c, keys, tenant, id, &previous, err))
        return err->code;
    clock_parse(now, &at);
    clock_format(at + overlap * 1000, until);
    store_run(c,
              "UPDATE webhook_endpoints SET secret = ?, previousSecret = ?, previousSecretUntil = ?, secretRotatedAt = ?, "
              "updatedAt = ? WHERE tenantId = ? AND id = ?",
              STORE_ARGS(STORE_TEXT(stored), STORE_TEXT(previous), previous ? STORE_TIME(until) : STORE_NULL, STORE_TIME(now),
                         STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(id)),
              changes, err);
    free(previous);
    return err->code;
}

/* True when one of patterns (a JSON array of them, as text) matches event. */
static bool patterns_match(const char *patterns, const char *event)
{
    json_t *list = json_loads(patterns ? patterns : "[]", 0, NULL), *p;
    bool match = false;
    size_t i;

    json_array_foreach(list, i, p) match |= json_is_string(p) && events_pattern_matches(json_string_value(p), event);
    json_decref(list);
    return match;
}

enum err_code endpoints_matching(struct store_conn *c, const char *tenant, const char *event, char (**ids)[UUID_SIZE], size_t *n,
                                 struct err *err)
{
    struct store_stmt *st;
    size_t cap = 0;
    int rc;

    *ids = NULL, *n = 0;
    if (store_select(c, "SELECT id, events FROM webhook_endpoints WHERE tenantId = ? AND enabled = ? ORDER BY createdAt, id",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_BOOL(true)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        if (!patterns_match(store_col_text(st, 1), event))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *ids = xrealloc(*ids, cap * sizeof **ids);
        }
        snprintf((*ids)[(*n)++], UUID_SIZE, "%s", store_col_text(st, 0));
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

enum err_code endpoints_delivery_add(struct store_conn *c, struct jobs *jobs, const char *tenant, const char *endpoint,
                                     const char *event_id, const char *event, const char *now, char delivery[UUID_SIZE],
                                     struct err *err)
{
    rand_uuid(delivery);
    if (store_run(c,
                  "INSERT INTO endpoint_deliveries (id, tenantId, endpointId, eventId, eventName, status, attempts, createdAt, "
                  "updatedAt) VALUES (?, ?, ?, ?, ?, 'PENDING', 0, ?, ?)",
                  STORE_ARGS(STORE_TEXT(delivery), STORE_TEXT(tenant), STORE_TEXT(endpoint), STORE_TEXT(event_id),
                             STORE_TEXT(event), STORE_TIME(now), STORE_TIME(now)),
                  NULL, err))
        return err->code;
    return notify_job_add(c, jobs, ENDPOINT_DELIVERY_JOB, tenant, delivery, ENDPOINT_MAX_ATTEMPTS + 2, err);
}

enum err_code endpoints_redeliver(struct store_conn *c, struct jobs *jobs, const char *tenant, const char *endpoint,
                                  const char *delivery, struct err *err)
{
    char now[TIMESTAMP_SIZE], job[UUID_SIZE], dedupe[JOB_KIND_SIZE + UUID_SIZE + 32];
    struct store_stmt *st;
    long long attempts = -1;
    int64_t changes = 0;
    json_t *payload;
    int rc;

    if (store_select(c, "SELECT attempts FROM endpoint_deliveries WHERE tenantId = ? AND endpointId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(endpoint), STORE_TEXT(delivery)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1)
        attempts = store_col_int(st, 0);
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (attempts < 0)
        return err_set(err, ERR_NOT_FOUND, "not found");
    clock_now(now);
    if (store_run(c,
                  "UPDATE endpoint_deliveries SET status = 'PENDING', updatedAt = ? WHERE tenantId = ? AND id = ? "
                  "AND status IN ('DELIVERED', 'FAILED')",
                  STORE_ARGS(STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(delivery)), &changes, err))
        return err->code;
    if (changes != 1)
        return err_set(err, ERR_CONFLICT, "the delivery is still being attempted: redeliver it once it has finished");
    /* one job per redelivery: the attempts so far tell this one from the last, which counted one more */
    snprintf(dedupe, sizeof dedupe, "%s:%s:%lld", ENDPOINT_DELIVERY_JOB, delivery, attempts);
    payload = json_pack("{s:s,s:b}", "deliveryId", delivery, "redelivery", true);
    jobs_enqueue_in(
        c, jobs,
        &(struct job_new){
            .kind = ENDPOINT_DELIVERY_JOB, .tenant = tenant, .payload = payload, .dedupe_key = dedupe, .max_attempts = 3},
        job, err);
    json_decref(payload);
    return err->code;
}

/* ---- delivering ---- */

/* Seconds before attempt 2, 3, ...: about a day in all (Standard Webhooks' own schedule, less its first, immediate retry). */
static const int retry_after[ENDPOINT_MAX_ATTEMPTS - 1] = {5, 300, 1800, 7200, 18000, 36000, 36000};

/* A delivery as its step reads it; secret and body are malloc'ed, secret wiped when freed. */
struct delivery {
    char id[UUID_SIZE], endpoint[UUID_SIZE], status[16], url[2049];
    int attempts;
    bool enabled, found;
    char *secret, *previous, *body; /* previous: the rotated-out secret during its overlap, else NULL */
};

static void delivery_free(struct delivery *d)
{
    if (d->secret)
        hash_cleanse(d->secret, strlen(d->secret));
    if (d->previous)
        hash_cleanse(d->previous, strlen(d->previous));
    free(d->secret);
    free(d->previous);
    free(d->body);
}

static enum err_code delivery_load(const struct notify_env *env, const char *tenant, const char *id, struct delivery *d,
                                   struct err *err)
{
    struct store_conn *c = NULL;
    struct store_stmt *st;
    struct plaintext *secret = NULL, *previous = NULL;
    char now[TIMESTAMP_SIZE];
    struct err perr;
    int rc = -1;

    memset(d, 0, sizeof *d);
    err_clear(&perr);
    clock_now(now);
    if (store_conn_get(env->store, &c, err) ||
        store_select(c,
                     "SELECT d.id, d.endpointId, d.status, d.attempts, w.url, w.enabled, w.secret, e.payload, "
                     "CASE WHEN w.previousSecretUntil > ? THEN w.previousSecret END "
                     "FROM endpoint_deliveries d JOIN webhook_endpoints w ON w.id = d.endpointId AND w.tenantId = d.tenantId "
                     "JOIN notification_events e ON e.id = d.eventId WHERE d.tenantId = ? AND d.id = ?",
                     STORE_ARGS(STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        goto out;
    if ((rc = store_next(st, err)) == 1) {
        struct secret_place at = ENDPOINT_SECRET_PLACE(tenant, store_col_text(st, 1)),
                            was = ENDPOINT_PREVIOUS_PLACE(tenant, store_col_text(st, 1));
        d->found = true;
        snprintf(d->id, sizeof d->id, "%s", store_col_text(st, 0));
        snprintf(d->endpoint, sizeof d->endpoint, "%s", store_col_text(st, 1));
        snprintf(d->status, sizeof d->status, "%s", store_col_text(st, 2));
        d->attempts = (int)store_col_int(st, 3);
        snprintf(d->url, sizeof d->url, "%s", store_col_text(st, 4));
        d->enabled = store_col_bool(st, 5);
        d->body = xstrdup(store_col_text(st, 7) ? store_col_text(st, 7) : "{}");
        if (secret_decrypt(env->keys, &at, store_col_text(st, 6), &secret, err) == ERR_OK)
            d->secret = xstrdup(secret->data);
        else
            log_error("webhook endpoint %s: its secret cannot be read: %s", d->endpoint, err->message);
        if (store_col_text(st, 8) && secret_decrypt(env->keys, &was, store_col_text(st, 8), &previous, &perr) == ERR_OK)
            d->previous = xstrdup(previous->data);
        else if (store_col_text(st, 8)) /* the new secret alone still signs */
            log_error("webhook endpoint %s: its rotated-out secret cannot be read: %s", d->endpoint, perr.message);
        plaintext_free(secret);
        plaintext_free(previous);
    }
    store_finish(st);
out:
    store_conn_put(c);
    return rc < 0 || err->code ? err->code : ERR_OK;
}

/* An attempt's outcome, recorded. */
static enum err_code outcome_record(const struct notify_env *env, const char *tenant, const struct delivery *d, const char *status,
                                    long code, const char *error, struct err *err)
{
    struct store_conn *c = NULL;
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    if (store_conn_get(env->store, &c, err) == ERR_OK)
        store_run(c,
                  "UPDATE endpoint_deliveries SET status = ?, attempts = attempts + 1, responseCode = ?, lastError = ?, "
                  "updatedAt = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(status), code ? STORE_INT(code) : STORE_NULL, STORE_TEXT(error), STORE_TIME(now),
                             STORE_TEXT(tenant), STORE_TEXT(d->id)),
                  NULL, err);
    store_conn_put(c);
    return err->code;
}

/* What an attempt's outcome does to its endpoint's run of failures. */
struct streak {
    const struct notify_env *env;
    const char *tenant, *endpoint, *now;
    bool ok, disabled; /* disabled: this failure turned the endpoint off */
};

static enum err_code streak_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct streak *s = ctx;
    char reason[160], message[256], since[TIMESTAMP_SIZE] = "";
    long long failures = 0;
    int64_t from = 0, to = 0, changes = 0;
    struct store_stmt *st;
    json_t *fields;
    int rc;

    if (s->ok) /* a success ends the run */
        return store_run(c,
                         "UPDATE webhook_endpoints SET failureCount = 0, failingSince = NULL WHERE tenantId = ? AND id = ? "
                         "AND failureCount > 0",
                         STORE_ARGS(STORE_TEXT(s->tenant), STORE_TEXT(s->endpoint)), NULL, err);
    if (store_run(c,
                  "UPDATE webhook_endpoints SET failureCount = failureCount + 1, failingSince = COALESCE(failingSince, ?) "
                  "WHERE tenantId = ? AND id = ? AND enabled = ?",
                  STORE_ARGS(STORE_TIME(s->now), STORE_TEXT(s->tenant), STORE_TEXT(s->endpoint), STORE_BOOL(true)), &changes,
                  err) ||
        changes != 1 ||
        store_select(c, "SELECT failureCount, failingSince FROM webhook_endpoints WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(s->tenant), STORE_TEXT(s->endpoint)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        failures = store_col_int(st, 0);
        snprintf(since, sizeof since, "%s", store_col_text(st, 1) ? store_col_text(st, 1) : s->now);
    }
    store_finish(st);
    if (rc < 0)
        return err->code;
    clock_parse(since, &from);
    clock_parse(s->now, &to);
    if (failures < s->env->disable_failures || to - from < (int64_t)s->env->disable_period * 1000)
        return ERR_OK;
    snprintf(reason, sizeof reason, "%lld failed attempts in a row since %s", failures, since);
    s->disabled = true;
    snprintf(message, sizeof message, "The outbound webhook endpoint %s was disabled: %s", s->endpoint, reason);
    fields = json_pack("{s:s, s:s, s:I, s:s}", "endpointId", s->endpoint, "reason", reason, "failures", (json_int_t)failures,
                       "message", message);
    if (store_run(c,
                  "UPDATE webhook_endpoints SET enabled = ?, disabledAt = ?, disabledReason = ?, updatedAt = ? "
                  "WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_BOOL(false), STORE_TIME(s->now), STORE_TEXT(reason), STORE_TIME(s->now), STORE_TEXT(s->tenant),
                             STORE_TEXT(s->endpoint)),
                  NULL, err) == ERR_OK &&
        store_run(c, /* kept, and said so: a redelivery once it is on again posts them */
                  "UPDATE endpoint_deliveries SET status = 'FAILED', lastError = ?, updatedAt = ? "
                  "WHERE tenantId = ? AND endpointId = ? AND status IN ('PENDING', 'RETRYING')",
                  STORE_ARGS(STORE_TEXT("not attempted again: the endpoint was disabled"), STORE_TIME(s->now),
                             STORE_TEXT(s->tenant), STORE_TEXT(s->endpoint)),
                  NULL, err) == ERR_OK)
        notify_emit(c, s->tenant, ENDPOINT_DISABLED_EVENT, "webhook_endpoint", s->endpoint, fields, err);
    json_decref(fields);
    return err->code;
}

/* Counts the attempt's outcome toward its endpoint's run of failures; *disabled: the run turned the endpoint off. */
static enum err_code streak_count(const struct notify_env *env, const char *tenant, const char *endpoint, bool ok, bool *disabled,
                                  struct err *err)
{
    char now[TIMESTAMP_SIZE];
    struct streak s = {.env = env, .tenant = tenant, .endpoint = endpoint, .now = now, .ok = ok};
    struct store_conn *c = NULL;

    clock_now(now);
    if (store_conn_get(env->store, &c, err) == ERR_OK)
        store_tx(c, streak_body, &s, err);
    store_conn_put(c);
    *disabled = s.disabled && !err->code;
    return err->code;
}

/*
 * One endpoint's deliveries in flight from this process: at most
 * ENDPOINT_IN_FLIGHT_MAX. Without a limit a slow endpoint's deliveries,
 * each parked on its call, fill the jobs a process holds at once (jobs.c)
 * and hold every other delivery back (bench/notifications.py measured it:
 * a 5 s endpoint slowed the rest tenfold). A delivery over the limit waits
 * as a row, holding nothing, and is called back: its id joins the
 * endpoint's line here, and each answer of the endpoint wakes the first in
 * line (flight_next, a signal of its turn key), so the rows of a backlog
 * wake as fast as the endpoint takes deliveries and no faster. A row woken
 * on its own clock costs a claim, a read and a write to learn that it must
 * wait again: 5,000 of them behind a 5 s endpoint, each waking at its
 * guessed turn, took a third of the fast channels' rate
 * (docs/performance.md). The line is this process's only: its rows also
 * keep a deadline (FLIGHT_WAIT_MAX_MS), for a process that died or a line
 * that was full (FLIGHT_LINE_MAX), and a row past the line waits for about
 * its turn instead (the endpoint's recent answer time times the deliveries
 * waiting before it, ENDPOINT_IN_FLIGHT_MAX at a time, with jitter).
 * flights holds the endpoints with deliveries in flight or in line; when it
 * is full, an endpoint not in it is not limited (a process calling more
 * than FLIGHT_SLOTS endpoints at once has no single one to blame).
 */
#define FLIGHT_SLOTS 256
#define FLIGHT_GUESS_MS 1000      /* the answer time assumed before the first answer */
#define FLIGHT_WAIT_MAX_MS 600000 /* a turn is asked for at least every ten minutes */
#define FLIGHT_LINE_MAX 8192      /* delivery ids in one endpoint's line (37 bytes each, grown as needed) */

static struct flight {
    char endpoint[UUID_SIZE]; /* "": a free slot */
    int in_flight;
    int waiting;                 /* deliveries refused and not yet back, in line or not */
    int64_t answer_ms;           /* a moving average of its answer time; 0: none yet */
    char (*line)[UUID_SIZE];     /* owned: a ring of the deliveries to call back, first at head */
    int head, queued, line_size; /* line_size: slots allocated */
    int called;                  /* taken from the line and not yet back: their places are kept */
} flights[FLIGHT_SLOTS];
static pthread_mutex_t flights_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of endpoint (a free one taken when add), or NULL. Under flights_lock. */
static struct flight *flight_of(const char *endpoint, bool add)
{
    struct flight *free_slot = NULL;

    for (size_t i = 0; i < FLIGHT_SLOTS; i++) {
        if (strcmp(flights[i].endpoint, endpoint) == 0)
            return &flights[i];
        if (!free_slot && !flights[i].endpoint[0])
            free_slot = &flights[i];
    }
    if (add && free_slot) {
        *free_slot = (struct flight){0};
        snprintf(free_slot->endpoint, UUID_SIZE, "%s", endpoint);
    }
    return add ? free_slot : NULL;
}

/* Frees f's slot once nothing of it is in flight or in line. Under flights_lock. */
static void flight_settle(struct flight *f)
{
    if (f->in_flight > 0 || f->queued > 0 || f->called > 0)
        return;
    free(f->line);
    *f = (struct flight){0}; /* the waiting ones left go when they are back */
}

/* Puts delivery at the end of f's line: false when the line is full. Under flights_lock. */
static bool line_push(struct flight *f, const char *delivery)
{
    if (f->queued == f->line_size) {
        int size = f->line_size ? 2 * f->line_size : 64;
        char(*grown)[UUID_SIZE];
        if (size > FLIGHT_LINE_MAX)
            return false;
        grown = xmalloc((size_t)size * UUID_SIZE);
        for (int i = 0; i < f->queued; i++) /* unrolled from the ring, first at 0 */
            memcpy(grown[i], f->line[(f->head + i) % f->line_size], UUID_SIZE);
        free(f->line);
        f->line = grown, f->head = 0, f->line_size = size;
    }
    memcpy(f->line[(f->head + f->queued++) % f->line_size], delivery, UUID_SIZE);
    return true;
}

/*
 * Delivery d may go: true (counted until flight_end), or false with how
 * long to wait first (in line: only in case no answer calls it back). back:
 * it was refused before (no longer waiting).
 */
static bool flight_begin(const char *endpoint, const char *delivery, bool back, int64_t *wait_ms)
{
    struct flight *f;
    int64_t turn = FLIGHT_WAIT_MAX_MS;
    bool go;

    pthread_mutex_lock(&flights_lock);
    f = flight_of(endpoint, true);
    if (f && back && f->waiting > 0)
        f->waiting--;
    if (f && back && f->called > 0)
        f->called--;
    go = !f || f->in_flight < ENDPOINT_IN_FLIGHT_MAX;
    if (f && go)
        f->in_flight++;
    else if (f && !line_push(f, delivery)) /* past the line: after the ones in flight and those waiting before it */
        turn = (f->answer_ms ? f->answer_ms : FLIGHT_GUESS_MS) * (ENDPOINT_IN_FLIGHT_MAX + f->waiting) / ENDPOINT_IN_FLIGHT_MAX;
    if (f && !go)
        f->waiting++;
    pthread_mutex_unlock(&flights_lock);
    if (!go) {
        unsigned char jitter;
        rand_bytes(&jitter, 1);
        turn = turn * (128 + jitter) / 256; /* half to one and a half times */
        *wait_ms = turn < 100 ? 100 : turn > FLIGHT_WAIT_MAX_MS ? FLIGHT_WAIT_MAX_MS : turn;
    }
    return go;
}

static void flight_end(const char *endpoint, int64_t took_ms)
{
    struct flight *f;

    pthread_mutex_lock(&flights_lock);
    if ((f = flight_of(endpoint, false))) {
        f->answer_ms = f->answer_ms ? (7 * f->answer_ms + took_ms) / 8 : took_ms;
        f->in_flight--;
        flight_settle(f);
    }
    pthread_mutex_unlock(&flights_lock);
}

/*
 * After an answer of endpoint, on a worker (a signal is a transaction: not
 * on the outbound loop): calls the first delivery in its line back, if a
 * place is free. A signal that fails leaves that row to its deadline.
 */
static void flight_next(const char *endpoint)
{
    char keys[ENDPOINT_IN_FLIGHT_MAX][JOB_EVENT_KEY_SIZE];
    struct flight *f;
    struct err err;
    int n = 0;

    pthread_mutex_lock(&flights_lock);
    if ((f = flight_of(endpoint, false))) {
        while (f->queued > 0 && f->in_flight + f->called < ENDPOINT_IN_FLIGHT_MAX && n < ENDPOINT_IN_FLIGHT_MAX) {
            snprintf(keys[n++], JOB_EVENT_KEY_SIZE, "webhook-turn:%s", f->line[f->head]);
            f->head = (f->head + 1) % f->line_size, f->queued--, f->called++;
        }
        flight_settle(f);
    }
    pthread_mutex_unlock(&flights_lock);
    for (int i = 0; i < n; i++) {
        err_clear(&err);
        if (jobs_signal(notify_jobs(), keys[i], NULL, &err))
            log_warn("webhooks: a delivery waits for its deadline, its call back failed: %s", err.message);
    }
}

/* What came back, attached to the parked job. */
struct answer {
    struct job *job;
    enum outbound_failure failure;
    long status;
    char cause[160];
    char endpoint[UUID_SIZE]; /* counted in flights until the answer */
    int64_t sent_ms;
};

static void on_answer(const struct outbound_response *res, void *ctx)
{
    struct answer *a = ctx;
    flight_end(a->endpoint, clock_mono_ms() - a->sent_ms);
    a->failure = res->failure;
    a->status = res->status;
    snprintf(a->cause, sizeof a->cause, "%s", res->cause);
    job_attach(a->job, a, free);
    job_resume(a->job);
}

/* The signed POST of the delivery, the job parked until it ends. */
static void post(const struct notify_env *env, struct job *j, const struct delivery *d)
{
    long long ts = clock_now_ms() / 1000;
    char sig[ENDPOINT_SIGNATURE_SIZE], old[ENDPOINT_SIGNATURE_SIZE] = "", h_id[64], h_ts[64],
                                       h_sig[32 + 2 * ENDPOINT_SIGNATURE_SIZE];
    const char *headers[] = {"Content-Type: application/json", "User-Agent: slipway-webhooks", h_id, h_ts, h_sig, NULL};
    struct answer *a = xcalloc(1, sizeof *a);
    struct err err;

    err_clear(&err);
    a->job = j;
    if (endpoints_sign(d->secret, d->id, ts, d->body, strlen(d->body), sig, &err) ||
        (d->previous && endpoints_sign(d->previous, d->id, ts, d->body, strlen(d->body), old, &err))) {
        flight_end(d->endpoint, 0);
        flight_next(d->endpoint);
        free(a);
        job_fail(j, &err);
        return;
    }
    snprintf(a->endpoint, sizeof a->endpoint, "%s", d->endpoint);
    a->sent_ms = clock_mono_ms();
    snprintf(h_id, sizeof h_id, "webhook-id: %s", d->id);
    snprintf(h_ts, sizeof h_ts, "webhook-timestamp: %lld", ts);
    snprintf(h_sig, sizeof h_sig, "webhook-signature: %s%s%s", sig, old[0] ? " " : "", old); /* overlap: both */
    job_park(j);
    if (env->loop->submit(env->loop->out,
                          &(struct outbound_call){.method = "POST",
                                                  .url = d->url,
                                                  .headers = headers,
                                                  .body = d->body,
                                                  .body_len = strlen(d->body),
                                                  .timeout_ms = env->loop->timeout_ms,
                                                  .label = "webhook",
                                                  .done = on_answer,
                                                  .ctx = a},
                          &err)) {
        struct outbound_response none = {.failure = OUTBOUND_NETWORK};
        utf8_copy(none.cause, sizeof none.cause, err.message);
        on_answer(&none, a);
    }
}

/* The answer: delivered, tried again later, or failed. */
static void finish(const struct notify_env *env, struct job *j, const struct delivery *d, const struct answer *a)
{
    bool ok = a->failure == OUTBOUND_OK && a->status >= 200 && a->status < 300;
    bool once = json_is_true(json_object_get(j->payload, "redelivery")); /* a redelivery is one attempt */
    bool last = once || a->failure == OUTBOUND_BLOCKED || d->attempts + 1 >= ENDPOINT_MAX_ATTEMPTS;
    char why[256], key[JOB_EVENT_KEY_SIZE];
    bool disabled = false;
    struct err err;

    err_clear(&err);
    if (a->failure == OUTBOUND_OK)
        snprintf(why, sizeof why, "the endpoint answered %ld", a->status);
    else
        snprintf(why, sizeof why, "%s", a->cause[0] ? a->cause : "no answer");
    usage_count(j->tenant, NULL, USAGE_NOTIFICATIONS_SENT, ok); /* the endpoint took it */
    if (streak_count(env, j->tenant, d->endpoint, ok, &disabled, &err) ||
        outcome_record(env, j->tenant, d,
                       ok                 ? "DELIVERED"
                       : last || disabled ? "FAILED"
                                          : "RETRYING",
                       a->failure == OUTBOUND_OK ? a->status : 0, ok ? NULL : why, &err))
        job_fail(j, &err);
    else if (ok || last || disabled)
        job_done(j);
    else { /* a wait that nothing but its deadline ends: no worker held */
        snprintf(key, sizeof key, "webhook-retry:%s", d->id);
        job_wait(j, 0, key, clock_now_ms() + (int64_t)retry_after[d->attempts] * 1000);
    }
}

void endpoints_delivery_step(void *ctx, struct job *j)
{
    const struct notify_env *env = ctx;
    const char *id = json_string_value(json_object_get(j->payload, "deliveryId"));
    const struct answer *a = job_attached(j);
    char key[JOB_EVENT_KEY_SIZE];
    struct delivery d;
    struct err err;
    int64_t wait_ms = 0;

    err_clear(&err);
    memset(&d, 0, sizeof d);
    if (a) /* the endpoint answered: the next in its line may go */
        flight_next(a->endpoint);
    if (!id || !j->tenant[0])
        err_set(&err, ERR_INTERNAL, "not a delivery: the payload names none");
    else
        delivery_load(env, j->tenant, id, &d, &err);
    if (err.code && !d.found) {
        job_fail(j, &err);
    } else if (!d.found || (strcmp(d.status, "PENDING") != 0 && strcmp(d.status, "RETRYING") != 0)) {
        job_done(j); /* gone with its endpoint, or finished by an earlier run */
    } else if (a) {
        finish(env, j, &d, a);
    } else if (err.code || !d.enabled) { /* a secret that cannot be read, or an endpoint turned off: no more attempts */
        err_clear(&err);
        if (outcome_record(env, j->tenant, &d, "FAILED", 0,
                           d.enabled ? "the endpoint's secret cannot be read" : "the endpoint is disabled", &err))
            job_fail(j, &err);
        else
            job_done(j);
    } else if (!flight_begin(d.endpoint, d.id, json_integer_value(json_object_get(j->data, "turns")) > 0, &wait_ms)) {
        /* the endpoint has its fill in flight: again later, as a row (flights above) */
        json_object_set_new(j->data, "turns", json_integer(json_integer_value(json_object_get(j->data, "turns")) + 1));
        snprintf(key, sizeof key, "webhook-turn:%s", d.id);
        job_wait(j, 0, key, clock_now_ms() + wait_ms);
    } else {
        post(env, j, &d);
    }
    delivery_free(&d);
}
