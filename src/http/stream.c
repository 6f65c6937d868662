#include "http/stream.h"

#include <microhttpd.h>
#include <pthread.h>
#include <assert.h>
#include <stdatomic.h>
#include <time.h>

#include "core/bell.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "http/request.h"

/*
 * A stream is shared by the hub thread and the worker sending it, and
 * counted: the hub's list holds one reference, the hub thread one while it
 * works on the stream without the hub's lock, the response one until
 * libmicrohttpd frees it. Its lock guards queue, sent, suspended, ended.
 *
 * Invariant: suspended is true exactly while the worker has suspended the
 * connection and nobody has resumed it; only then may the hub resume it.
 *
 * rung: a writer rang the stream's key (bell.h) since its last poll began;
 * the next turn polls it whatever next_poll_ms says. A ring during a poll
 * sets it again, so the poll after sees what that ring announced.
 */
struct stream {
    struct stream *next; /* in the hub's list; the hub's lock */
    struct stream_hub *hub;
    atomic_int refs;
    pthread_mutex_t lock;
    struct MHD_Connection *conn;
    const struct stream_source *src;
    void *ctx;
    char cursor[STREAM_CURSOR_MAX];
    char key[STREAM_CURSOR_MAX]; /* what a writer rings to wake it ("" for none); never changes */
    struct buf queue;            /* what the source produced, not yet sent; queue.data + sent is the next byte */
    size_t sent;
    bool suspended, ended, rung;
    int64_t next_poll_ms, last_out_ms;
};

struct stream_hub {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct stream *streams;
    struct store *store;
    int heartbeat_ms;
    atomic_int open; /* streams in the list */
    bool closing;
    bool rung; /* a stream was rung since the loop's last turn began: no waiting */
    pthread_t thread;
};

static void stream_unref(struct stream *st)
{
    if (atomic_fetch_sub(&st->refs, 1) != 1)
        return;
    st->src->free(st->ctx);
    buf_free(&st->queue);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

int stream_event(struct buf *out, const char *id, const char *name, const char *data)
{
    size_t mark = out->len;

    if (buf_appends(out, "id: ") || buf_appends(out, id) || buf_appends(out, "\nevent: ") || buf_appends(out, name) ||
        buf_appends(out, "\ndata: ") || buf_appends(out, data) || buf_appends(out, "\n\n")) {
        out->len = mark; /* all of the event or none */
        if (out->data)
            out->data[mark] = '\0';
        return -1;
    }
    return 0;
}

/* Hands the worker what is queued: resumes the connection if it waits. Caller holds st->lock. */
static void wake_locked(struct stream *st)
{
    if (st->suspended) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    }
}

/* One turn of the hub for one stream: poll the source when due, beat the heart, wake the worker. */
static void stream_turn(struct stream_hub *hub, struct stream *st, int64_t now)
{
    struct buf fresh;
    struct err err;
    bool due, failed = false;

    pthread_mutex_lock(&st->lock);
    due = !st->ended && (st->rung || now >= st->next_poll_ms) && st->queue.len - st->sent < STREAM_QUEUE_MAX / 2;
    if (due)
        st->rung = false;
    pthread_mutex_unlock(&st->lock);
    buf_init(&fresh, STREAM_QUEUE_MAX);
    if (due) {
        /* The source runs without the stream's lock: the worker may send meanwhile. */
        err_clear(&err);
        failed = st->src->poll(st->ctx, hub->store, &fresh, st->cursor, &err) != ERR_OK;
        if (failed)
            log_warn("stream: its source failed (%s); ending it", err.message);
    }
    pthread_mutex_lock(&st->lock);
    if (due)
        st->next_poll_ms = now + STREAM_POLL_MS;
    if (fresh.len && buf_append(&st->queue, fresh.data, fresh.len) != 0)
        failed = true; /* the client is too slow: better an end it can resume from than a gap */
    if (!st->ended && st->queue.len == st->sent && now - st->last_out_ms >= hub->heartbeat_ms)
        buf_appends(&st->queue, ": keep-alive\n\n");
    st->ended |= failed;
    if (st->queue.len > st->sent || st->ended)
        wake_locked(st);
    pthread_mutex_unlock(&st->lock);
    buf_free(&fresh);
}

static void *hub_loop(void *arg)
{
    struct stream_hub *hub = arg;
    struct stream **turn = NULL; /* this turn's streams, each with a reference */
    size_t cap = 0;

    thread_name("sse-hub");
    pthread_mutex_lock(&hub->lock);
    while (!hub->closing) {
        struct timespec until;
        size_t n = 0;
        int64_t now = clock_mono_ms();

        hub->rung = false; /* a ring from here on is seen by this turn or makes the next one start at once */

        /* A reference each, then the work without the hub's lock: a worker freeing a stream never waits on a poll. */
        for (struct stream *st = hub->streams; st; st = st->next) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                turn = xrealloc(turn, cap * sizeof *turn);
            }
            atomic_fetch_add(&st->refs, 1);
            turn[n++] = st;
        }
        pthread_mutex_unlock(&hub->lock);
        for (size_t i = 0; i < n; i++) {
            stream_turn(hub, turn[i], now);
            stream_unref(turn[i]);
        }
        pthread_mutex_lock(&hub->lock);
        clock_deadline(&until, STREAM_POLL_MS / 5);
        if (!hub->rung && !hub->closing)
            pthread_cond_timedwait(&hub->wake, &hub->lock, &until);
    }
    pthread_mutex_unlock(&hub->lock);
    free(turn);
    return NULL;
}

/* A writer rang key (bell.h, on its thread): its streams are polled at once. */
static void hub_ring(void *ctx, const char *key)
{
    struct stream_hub *hub = ctx;
    bool any = false;

    pthread_mutex_lock(&hub->lock);
    for (struct stream *st = hub->streams; st; st = st->next)
        if (st->key[0] && strcmp(st->key, key) == 0) {
            pthread_mutex_lock(&st->lock);
            st->rung = any = true;
            pthread_mutex_unlock(&st->lock);
        }
    if (any) {
        hub->rung = true;
        pthread_cond_signal(&hub->wake);
    }
    pthread_mutex_unlock(&hub->lock);
}

struct stream_hub *stream_hub_start(struct store *store, int heartbeat_ms)
{
    struct stream_hub *hub = xcalloc(1, sizeof *hub);

    hub->heartbeat_ms = heartbeat_ms;
    pthread_mutex_init(&hub->lock, NULL);
    pthread_cond_init(&hub->wake, NULL);
    hub->store = store;
    if (pthread_create(&hub->thread, NULL, hub_loop, hub) != 0) {
        log_error("stream: cannot start the hub thread; streams are refused");
        hub->closing = true;
        hub->thread = pthread_self();
    } else if (!bell_listen(hub_ring, hub)) {
        log_warn("stream: too many hubs listen for writers; this one's streams follow them by polling only");
    }
    return hub;
}

void stream_hub_close(struct stream_hub *hub)
{
    if (!hub)
        return;
    pthread_mutex_lock(&hub->lock);
    hub->closing = true;
    for (struct stream *st = hub->streams; st; st = st->next) {
        pthread_mutex_lock(&st->lock);
        st->ended = true;
        wake_locked(st);
        pthread_mutex_unlock(&st->lock);
    }
    pthread_cond_signal(&hub->wake);
    pthread_mutex_unlock(&hub->lock);
}

void stream_hub_free(struct stream_hub *hub)
{
    if (!hub)
        return;
    bell_unlisten(hub_ring, hub);
    stream_hub_close(hub);
    if (!pthread_equal(hub->thread, pthread_self()))
        pthread_join(hub->thread, NULL);
    /* The daemon has stopped: every response, and so every stream, is freed already. */
    assert(hub->streams == NULL);
    pthread_cond_destroy(&hub->wake);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

/* libmicrohttpd asks for the next bytes (on the worker). Nothing queued: suspend until the hub has some. */
static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    struct stream *st = cls;
    ssize_t n;

    UNUSED(pos);
    pthread_mutex_lock(&st->lock);
    if (st->queue.len > st->sent) {
        size_t left = st->queue.len - st->sent;
        n = (ssize_t)(left < max ? left : max);
        memcpy(out, st->queue.data + st->sent, (size_t)n);
        st->sent += (size_t)n;
        if (st->sent == st->queue.len)
            st->queue.len = st->sent = 0;
        st->last_out_ms = clock_mono_ms();
    } else if (st->ended) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        MHD_suspend_connection(st->conn);
        st->suspended = true;
        n = 0;
    }
    pthread_mutex_unlock(&st->lock);
    return n;
}

/* libmicrohttpd is done with the response: the connection closed or the stream ended. */
static void stream_done(void *cls)
{
    struct stream *st = cls;
    struct stream_hub *hub = st->hub;

    pthread_mutex_lock(&hub->lock);
    for (struct stream **p = &hub->streams; *p; p = &(*p)->next)
        if (*p == st) {
            *p = st->next;
            atomic_fetch_sub(&hub->open, 1);
            stream_unref(st); /* the list's reference */
            break;
        }
    pthread_mutex_unlock(&hub->lock);
    stream_unref(st); /* the response's */
}

enum err_code response_stream(struct request *req, const struct stream_source *src, void *ctx, const char *start, const char *key,
                              struct err *err)
{
    struct stream_hub *hub = req->streams;
    const char *last = request_header(req, "Last-Event-ID");
    struct stream *st;

    if (!hub) {
        src->free(ctx);
        return err_set(err, ERR_NOT_FOUND, "not found");
    }
    if (!last || !*last)
        last = start;
    if (strlen(last) >= STREAM_CURSOR_MAX) {
        src->free(ctx);
        return err_set(err, ERR_INVALID, "Last-Event-ID is longer than %d characters", STREAM_CURSOR_MAX - 1);
    }
    st = xcalloc(1, sizeof *st);
    atomic_init(&st->refs, 2); /* the hub's list and the response */
    pthread_mutex_init(&st->lock, NULL);
    st->hub = hub;
    st->conn = req->conn;
    st->src = src;
    st->ctx = ctx;
    snprintf(st->cursor, sizeof st->cursor, "%s", last);
    snprintf(st->key, sizeof st->key, "%s", key ? key : "");
    buf_init(&st->queue, STREAM_QUEUE_MAX);
    buf_appends(&st->queue, "retry: 3000\n\n");
    st->last_out_ms = clock_mono_ms();
    pthread_mutex_lock(&hub->lock);
    if (hub->closing) {
        pthread_mutex_unlock(&hub->lock);
        atomic_store(&st->refs, 1);
        stream_unref(st);
        return err_set(err, ERR_UNAVAILABLE, "the server is shutting down");
    }
    st->next = hub->streams;
    hub->streams = st;
    atomic_fetch_add(&hub->open, 1);
    pthread_cond_signal(&hub->wake); /* a first poll at once */
    pthread_mutex_unlock(&hub->lock);
    req->stream = st;
    req->status = 200;
    req->content_type = "text/event-stream";
    response_header(req, "X-Accel-Buffering", "no"); /* nginx: pass events on as they come */
    return ERR_OK;
}

void *stream_response(struct request *req)
{
    struct stream *st = req->stream;
    struct MHD_Response *r;

    if (!st)
        return NULL;
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, st, stream_done);
    if (!r) {
        stream_done(st);
        req->stream = NULL;
    }
    return r;
}

int stream_hub_open(struct stream_hub *hub)
{
    return hub ? atomic_load(&hub->open) : 0;
}

bool stream_cursor_parse(const char *cursor, char at[TIMESTAMP_SIZE], char id[UUID_SIZE])
{
    size_t n = strcspn(cursor, "/");
    int64_t ms;

    if (!cursor[n] || n >= TIMESTAMP_SIZE || !uuid_valid(cursor + n + 1))
        return false;
    snprintf(at, TIMESTAMP_SIZE, "%.*s", (int)n, cursor);
    snprintf(id, UUID_SIZE, "%s", cursor + n + 1);
    if (clock_parse(at, &ms))
        return false;
    clock_format(ms, at);
    return true;
}

enum err_code stream_rows_poll(const struct stream_rows *rows, const char *const *keys, size_t nkeys, struct store *store,
                               struct buf *out, char cursor[STREAM_CURSOR_MAX], struct err *err)
{
    char at[TIMESTAMP_SIZE], id[UUID_SIZE], settled[TIMESTAMP_SIZE];
    struct store_val args[STREAM_ROWS_KEYS + 5];
    struct store_conn *c;
    struct store_stmt *st;
    size_t n = 0;
    int rc;

    assert(nkeys <= STREAM_ROWS_KEYS);
    if (!stream_cursor_parse(cursor, at, id))
        return err_set(err, ERR_INTERNAL, "a stream cursor that does not parse");
    clock_format(clock_now_ms() - STREAM_ROWS_SETTLE_MS, settled);
    for (; n < nkeys; n++)
        args[n] = STORE_TEXT(keys[n]);
    args[n++] = STORE_TIME(at);
    args[n++] = STORE_TIME(at);
    args[n++] = STORE_TEXT(id);
    args[n++] = STORE_TIME(settled);
    args[n++] = STORE_INT(STREAM_ROWS_BATCH);
    if (store_conn_get(store, &c, err))
        return err->code;
    if (store_select(c, rows->sql, args, n, &st, err)) {
        store_conn_put(c);
        return err->code;
    }
    while ((rc = store_next(st, err)) == 1) {
        json_t *row = rows->row(st);
        char *data = json_dumps(row, JSON_COMPACT), next[STREAM_CURSOR_MAX];

        snprintf(next, sizeof next, "%s/%s", json_string_value(json_object_get(row, "createdAt")),
                 json_string_value(json_object_get(row, "id")));
        rc = data ? stream_event(out, next, rows->event, data) : -1;
        free(data);
        json_decref(row);
        if (rc != 0)
            break; /* the rest on the next poll */
        memcpy(cursor, next, sizeof next);
    }
    store_finish(st);
    store_conn_put(c);
    return rc < 0 && err->code ? err->code : ERR_OK;
}

bool stream_seq_parse(const char *cursor, int64_t *seq)
{
    char *end;
    long long v;

    if (*cursor < '0' || *cursor > '9' || strlen(cursor) > 18)
        return false;
    v = strtoll(cursor, &end, 10);
    if (*end)
        return false;
    *seq = v;
    return true;
}

enum err_code stream_seq_poll(const struct stream_seq *rows, const char *const *keys, size_t nkeys, struct store *store,
                              struct buf *out, char cursor[STREAM_CURSOR_MAX], struct err *err)
{
    struct store_val args[STREAM_ROWS_KEYS + 2];
    struct store_conn *c;
    int64_t after;
    size_t got = STREAM_ROWS_BATCH;
    bool full = false;

    assert(nkeys <= STREAM_ROWS_KEYS);
    if (!stream_seq_parse(cursor, &after))
        return err_set(err, ERR_INTERNAL, "a stream cursor that does not parse");
    if (store_conn_get(store, &c, err))
        return err->code;
    /* A full batch means more may wait: read on (what does not fit in out waits for the next poll). */
    while (got == STREAM_ROWS_BATCH && !full) {
        struct store_stmt *st;
        size_t n = 0;
        int rc;

        for (; n < nkeys; n++)
            args[n] = STORE_TEXT(keys[n]);
        args[n++] = STORE_INT(after);
        args[n++] = STORE_INT(STREAM_ROWS_BATCH);
        if (store_select(c, rows->sql, args, n, &st, err))
            break;
        got = 0;
        while ((rc = store_next(st, err)) == 1) {
            json_t *row = rows->row(st);
            char *data = json_dumps(row, JSON_COMPACT), next[STREAM_CURSOR_MAX];
            int64_t seq = json_integer_value(json_object_get(row, "seq"));

            got++;
            snprintf(next, sizeof next, "%lld", (long long)seq);
            full = !data || stream_event(out, next, rows->event, data) != 0;
            free(data);
            json_decref(row);
            if (full)
                break; /* the rest on the next poll */
            after = seq;
        }
        store_finish(st);
        if (rc < 0)
            break;
    }
    store_conn_put(c);
    snprintf(cursor, STREAM_CURSOR_MAX, "%lld", (long long)after);
    return err->code;
}
