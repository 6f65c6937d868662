/*
 * metrics_http.h: GET /metrics, Prometheus's text format, on the metrics
 * address only (SLIPWAY_METRICS_LISTEN), never on the API's; with
 * SLIPWAY_METRICS_TOKEN set it asks for that bearer token. The families are
 * listed in docs/operations.md.
 */
#ifndef SLIPWAY_METRICS_HTTP_H
#define SLIPWAY_METRICS_HTTP_H

#include "http/router.h"

struct jobs;
struct outbound;
struct server;

/* What GET /metrics reads: each borrowed, for as long as the metrics are served. */
struct metrics_sources {
    struct server *server; /* the API's */
    struct store *store;
    struct jobs *jobs;
    struct outbound *out;
    const char *token; /* SLIPWAY_METRICS_TOKEN, or "" for none */
};

/* Copies sources; before the metrics server starts. */
void metrics_http_start(const struct metrics_sources *sources);

enum err_code metrics_get(struct request *req, struct err *err);

#endif
