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

#include "core/buf.h"
#include "core/err.h"

#define STREAM_CURSOR_MAX 128
#define STREAM_POLL_MS 500
#define STREAM_QUEUE_MAX (1024 * 1024) /* bytes queued for a slow client before its source is no longer polled */

struct store;
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
 * none. ctx (allocated with xmalloc) is the stream's: src->free frees it,
 * on failure too.
 */
enum err_code response_stream(struct request *req, const struct stream_source *src, void *ctx, const char *start, struct err *err);

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
