/*
 * metrics_http.h: GET /metrics, Prometheus's text format, on the metrics
 * address only (SLIPWAY_METRICS_LISTEN), never on the API's; with
 * SLIPWAY_METRICS_TOKEN set it asks for that bearer token. The families are
 * listed in docs/operations.md.
 */
#ifndef SLIPWAY_METRICS_HTTP_H
#define SLIPWAY_METRICS_HTTP_H

#include "http/router.h"

enum err_code metrics_get(struct request *req, struct err *err);

#endif
