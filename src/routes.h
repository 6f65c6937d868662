/* routes.h: the route table, the one place that names every handler. */
#ifndef SLIPWAY_ROUTES_H
#define SLIPWAY_ROUTES_H

#include "http/server.h"

extern const struct route routes[];
extern const size_t routes_count;

/*
 * The access hook (server.h) over every class of tenancy/roles.h: the
 * signed webhooks through integrations' webhooks_admit, every other class
 * through tenancy's auth_admit.
 */
enum err_code routes_admit(struct request *req, int access, struct err *err);
extern const struct server_hooks routes_hooks;

/* The metrics address's table (SLIPWAY_METRICS_LISTEN): GET /metrics and nothing else. */
extern const struct route metrics_routes[];
extern const size_t metrics_routes_count;
/*
 * The values a path parameter can take where they are a closed set known
 * at start-up: {category} (the catalog's categories), {step} (the setup
 * wizard's steps). NULL for any other parameter. Caller owns.
 */
json_t *routes_param_values(const char *param);

#endif
