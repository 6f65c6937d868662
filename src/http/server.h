/*
 * server.h: libmicrohttpd glue. Owns the daemon, creates a request (and
 * its arena) per call, runs the router, renders errors, writes the access
 * log, and shuts down gracefully.
 *
 * The server is handed the route table and an access hook (routes.c's
 * routes_admit) that decides, from a route's access class, who may call
 * it; it names no handler and knows no domain: roles, tenants' members and
 * signed webhooks are the hook's business (tenancy/roles.h).
 */
#ifndef SLIPWAY_SERVER_H
#define SLIPWAY_SERVER_H

#include "http/router.h"

struct server_hooks {
    /*
     * Runs for every matched route, once its whole body has arrived (within
     * the limit) and before the body is parsed or the path's parameters are
     * checked for their kinds: may req call a route of this access class
     * (struct route's, uninterpreted here)? ERR_OK lets it through, with
     * req->principal, tenant_id and account_id set as the hook found them;
     * anything else is the answer (ERR_UNAUTHENTICATED, ERR_NOT_FOUND, ...).
     */
    enum err_code (*admit)(struct request *req, int access, struct err *err);
    /*
     * May be NULL. Runs before routing, with the request's head: may point
     * req->path at another path (allocated from req->arena), which is then
     * routed instead (a custom domain's pages: the Host header's).
     */
    void (*rewrite)(struct request *req);
};

struct server_options {
    const char *host;
    int port; /* 0 picks a free one */
    int threads;
    int64_t body_limit;
    int shutdown_timeout;       /* seconds */
    int max_connections;        /* held at once; 0: as many as the file limit allows, up to 4096 */
    int max_client_connections; /* per client address (IPv6: per /64); 0: no such limit */
    int stream_heartbeat;       /* seconds an event stream may stay silent; 0: this server serves no streams */
    bool routine;               /* its requests are routine (the metrics listener): their access lines are debug */
};

struct server;

struct server *server_start(const struct server_options *o, const struct route *routes, size_t nroutes,
                            const struct server_hooks *hooks, struct store *store, struct err *err);
int server_port(const struct server *s);
struct metrics_out;
/*
 * Appends the server's families to m: requests by route pattern (never the
 * path as sent), method and status, a latency histogram per route, open
 * connections, requests in flight and open event streams.
 */
void server_metrics_write(struct server *s, struct metrics_out *m);
/* Stops accepting and lets requests in flight finish, for at most the shutdown timeout. */
void server_drain(struct server *s);
/*
 * Stops the daemon and frees s. Call it once nothing can resume a suspended
 * request any more (the pools that do are stopped): it waits for those.
 */
void server_stop(struct server *s);

#endif
