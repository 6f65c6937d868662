/*
 * stream.h: Server-Sent Events without a thread per stream (issue 12).
 *
 * A handler answers with response_stream(): from then on the request's
 * connection belongs to the server's stream hub. One hub thread polls each
 * stream's source (every STREAM_POLL_MS, and only while the client keeps
 * up), queues what it produced and resumes the connection; the worker that
 * sends it suspends the connection again as soon as the queue is empty. So
 * an open stream costs a buffer and a row in the hub's list, never a
 * worker. A comment line goes out when nothing else has for the
 * heartbeat interval (SLIPWAY_STREAM_HEARTBEAT), which keeps proxies from closing an idle stream and
 * is how a client that left is noticed (libmicrohttpd does not watch a
 * suspended socket): at most one heartbeat after it left, its stream and
 * source are freed.
 *
 * Resuming after a reconnect: each event carries an id (its source's
 * cursor); a client that comes back sends it as Last-Event-ID, and the
 * source starts after it.
 *
 * Waking (issue 17): a stream opened with a key (response_stream) is
 * polled at once when a writer of this process rings that key (core/bell.h)
 * after its commit, so an event goes out within milliseconds. The poll
 * every STREAM_POLL_MS stays as the fallback for writers in other
 * processes (several slipway processes behind a proxy share one database):
 * what they write reaches a client of this one within that poll.
 *
 * On shutdown (stream_hub_close) every stream ends at once, so a client
 * that keeps a stream open never holds up SIGTERM.
 *
 * Cost: each stream's source is polled on its own (a query per stream
 * every STREAM_POLL_MS while its client keeps up). That suits tens to
 * hundreds of streams; streams of one source (one tenant's trail) sharing
 * one poll is the step after.
 */
#ifndef SLIPWAY_STREAM_H
#define SLIPWAY_STREAM_H

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

#define STREAM_CURSOR_MAX 128
#define STREAM_POLL_MS 500
#define STREAM_QUEUE_MAX (1024 * 1024) /* bytes queued for a slow client before its source is no longer polled */

struct store;
struct store_stmt;
struct request;
struct stream_hub;

/* What a stream reads from. Both members run on the hub's thread. */
struct stream_source {
    /*
     * Appends the events that follow cursor to out with stream_event(), and
     * sets cursor to the id of the last one. An error ends the stream.
     */
    enum err_code (*poll)(void *ctx, struct store *store, struct buf *out, char cursor[STREAM_CURSOR_MAX], struct err *err);
    void (*free)(void *ctx); /* frees ctx */
};

/* Appends one event: its id, its name, and data as one line of JSON. -1 when out is full. */
int stream_event(struct buf *out, const char *id, const char *name, const char *data);

/*
 * Answers req with a stream of src's events (200, text/event-stream),
 * starting after the request's Last-Event-ID, or after start when it sent
 * none; polled at once whenever key is rung (core/bell.h), when key is not
 * NULL. ctx (allocated with xmalloc) is the stream's: src->free frees it,
 * on failure too.
 */
enum err_code response_stream(struct request *req, const struct stream_source *src, void *ctx, const char *start, const char *key,
                              struct err *err);

/*
 * A stream over an append-only table, in (createdAt, id) order: the audit
 * trail, a release's timeline. Each event's id (the cursor) is
 * "createdAt/id". A row is sent once it is settle_ms old: rows are stamped
 * before their transaction commits, so a newer row can become visible before
 * an older one; the wait lets the older one land first.
 */
struct stream_rows {
    /*
     * The rows' SELECT: its own keys' ?s (text) first, then exactly
     * "createdAt >= ? AND (createdAt > ? OR id > ?) AND createdAt <= ?
     * ORDER BY createdAt, id LIMIT ?".
     */
    const char *sql;
    const char *event;                     /* each event's name */
    json_t *(*row)(struct store_stmt *st); /* the current row as JSON, with "createdAt" and "id" (a new reference) */
};

#define STREAM_ROWS_SETTLE_MS 1000
#define STREAM_ROWS_BATCH 100 /* rows a poll at most */
#define STREAM_ROWS_KEYS 4    /* keys a feed may have */

/* "createdAt/id" into its halves, createdAt in canonical form; false when cursor is not one. */
bool stream_cursor_parse(const char *cursor, char at[TIMESTAMP_SIZE], char id[UUID_SIZE]);

/* A stream_source poll over rows, its keys being nkeys texts. */
enum err_code stream_rows_poll(const struct stream_rows *rows, const char *const *keys, size_t nkeys, struct store *store,
                               struct buf *out, char cursor[STREAM_CURSOR_MAX], struct err *err);

/*
 * A stream over rows numbered by a seq that their one writer gives in
 * order and commits in order (a deployment's log, deploy.c): each event's
 * id (the cursor) is the row's seq, and rows go out as soon as they are
 * visible, with no settle time. Gap-free only under that rule: a row
 * committed after a reader passed its seq would never be sent.
 */
struct stream_seq {
    /* The rows' SELECT: its own keys' ?s (text) first, then exactly "seq > ? ORDER BY seq LIMIT ?". */
    const char *sql;
    const char *event;                     /* each event's name */
    json_t *(*row)(struct store_stmt *st); /* the current row as JSON, with an integer "seq" (a new reference) */
};

/* A cursor of a stream_seq: decimal digits; false when cursor is not one. */
bool stream_seq_parse(const char *cursor, int64_t *seq);

/* A stream_source poll over seq rows, its keys being nkeys texts. */
enum err_code stream_seq_poll(const struct stream_seq *rows, const char *const *keys, size_t nkeys, struct store *store,
                              struct buf *out, char cursor[STREAM_CURSOR_MAX], struct err *err);

/* For the server. */
/* heartbeat_ms: the longest a stream stays silent (SLIPWAY_STREAM_HEARTBEAT). */
struct stream_hub *stream_hub_start(struct store *store, int heartbeat_ms);
void stream_hub_close(struct stream_hub *hub); /* ends every stream; no new one starts (NULL: nothing to do) */
void stream_hub_free(struct stream_hub *hub);  /* after the daemon has stopped */
/* Streams open now (for /metrics); 0 for no hub. */
int stream_hub_open(struct stream_hub *hub);
/* The libmicrohttpd response that sends req's stream (server.c), or NULL when req is no stream. */
void *stream_response(struct request *req);

#endif
