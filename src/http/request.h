/*
 * request.h: one HTTP request as handlers see it, and the helpers that
 * read it and build its response.
 *
 * Ownership: everything reachable from a request (strings, the parsed body,
 * the response body) belongs to req->arena and dies with it in the
 * request-completed callback. Handlers never free anything they got here.
 *
 * A handler returns ERR_OK after setting a response (response_json,
 * response_empty), or an error code with err filled; the server renders
 * errors. A handler that continues on another thread calls
 * request_defer() and returns what it returns.
 */
#ifndef SLIPWAY_REQUEST_H
#define SLIPWAY_REQUEST_H

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/common.h"
#include "core/err.h"
#include "http/framing.h"
#include "http/schema.h"
#include "store/store.h"

struct route;

#define REQUEST_ID_MAX 64
#define REQUEST_PARAMS_MAX 8

struct header {
    struct header *next;
    const char *name, *value;
};

struct request {
    struct arena *arena;
    void *conn; /* struct MHD_Connection */
    const char *method, *path;
    char id[REQUEST_ID_MAX + 1];
    char ip[64];
    const char *user_agent;
    const char *param_names[REQUEST_PARAMS_MAX], *param_values[REQUEST_PARAMS_MAX];
    int nparams;
    json_t *body; /* the parsed JSON object, or NULL; owned by the arena */

    /*
     * Who is calling, as the access hook (server.h) found: the caller as the
     * application knows it (opaque here: tenancy/roles.h reads it), the
     * tenant it acts in and its account (NULL or "" for none), both
     * borrowed from the principal. request_db confines the connection to
     * the tenant (the tenant guard) and the access log names both.
     */
    void *principal;
    const char *tenant_id, *account_id;

    struct store *store;
    struct store_conn *db; /* acquired on first use by request_db, returned at completion */

    int status;
    const char *resp_body; /* arena-owned */
    size_t resp_len;
    const char *content_type;
    struct header *headers;
    bool suspended;

    /* The server's own bookkeeping. */
    struct framing_target target; /* the request target as received (http/framing.h) */
    struct stream_hub *streams;   /* the server's (http/stream.h) */
    struct stream *stream;        /* set by response_stream: the answer is that stream */
    bool begun;                   /* filled from the request's head; before that only arena and target are set */
    bool close;                   /* the connection closes after the answer */
    struct buf raw;               /* the body as received, capped at the body limit */
    bool too_large;               /* more than the limit arrived (or was announced) */
    bool dispatched;              /* the router has run */
    const struct route *route;    /* the route the router matched, or NULL (for the metrics) */
    int64_t started_us;           /* clock_mono_us() when its head was complete */
};

const char *request_param(const struct request *req, const char *name);
const char *request_header(const struct request *req, const char *name);
const char *request_query(const struct request *req, const char *name);
/* A cookie the request sent, or NULL (borrowed: it lives as long as the request). */
const char *request_cookie(const struct request *req, const char *name);

/*
 * The request's database connection, taken from the pool once, under the
 * tenant guard of the request's authenticated tenant (store_conn_guard).
 */
enum err_code request_db(struct request *req, struct store_conn **out, struct err *err);

/* Steals body (a JSON value) as the response with this status. */
void response_json(struct request *req, int status, json_t *body);
/* The writer's finished text as the response (http/jsonw.h); takes it and leaves w empty. A failed writer is a 500. */
struct jsonw;
void response_jsonw(struct request *req, int status, struct jsonw *w);
void response_empty(struct request *req, int status);
/* Raw bytes that outlive the request (static data). */
void response_static(struct request *req, int status, const char *content_type, const char *body, size_t len);
/* Copies name and value into the arena. */
void response_header(struct request *req, const char *name, const char *value);
/* Renders err as the error envelope. */
void response_error(struct request *req, const struct err *err);

/*
 * Continues the request on pool: the connection is suspended and fn(req)
 * runs on a pool thread, sets the response, and the connection resumes.
 * Nothing else may touch req meanwhile. A full pool is ERR_UNAVAILABLE.
 */
struct workpool;

/*
 * For work that completes elsewhere (an outbound call): suspend the
 * connection before starting it and return ERR_OK; whoever finishes sets
 * the response and calls request_resume exactly once.
 */
void request_suspend(struct request *req);
void request_resume(struct request *req);

enum err_code request_defer(struct request *req, struct workpool *pool, void (*fn)(struct request *req), struct err *err);

/* Whether an If-None-Match header (a list of "a", W/"b", or *; may be NULL) names etag (quoted). */
bool etag_matches(const char *header, const char *etag);

/* json_string(s), or json null for NULL. Caller owns. */
json_t *json_text_or_null(const char *s);

/* Hangs a jansson reference on the arena: it is released with the request. */
json_t *request_keep(struct request *req, json_t *j);

#endif
