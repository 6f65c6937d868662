/*
 * router.h: the route table's shape and the matcher.
 *
 * The table itself lives in src/routes.c, the only file that names every
 * domain handler; the server is handed it at start-up. The router, not the
 * handler, authenticates, checks the path's tenant against the caller's
 * roles, enforces the body limit, and parses and validates the JSON body.
 *
 * Patterns are literal segments and {params}. When several patterns match a
 * path, the one with a literal segment where another has a parameter
 * (earliest difference first) wins: /api/v1/tenants beats
 * /api/v1/{tenantId}. Methods are matched after the pattern, so a known
 * path with a wrong method is 405 with Allow.
 */
#ifndef SLIPWAY_ROUTER_H
#define SLIPWAY_ROUTER_H

#include "http/request.h"
#include "http/schema.h"

#define ROUTER_MAX_SEGMENTS 12

typedef enum err_code (*handler_fn)(struct request *req, struct err *err);

struct route {
    const char *method;
    const char *pattern;
    enum role role;            /* minimum: public, any account, or a role in the path's {tenantId} */
    const struct schema *body; /* NULL: the route takes no body (one sent is ignored) */
    handler_fn handler;
};

struct router;

/* Builds a matcher over routes (borrowed: it must outlive the router). Fails on a malformed table. */
struct router *router_new(const struct route *routes, size_t count, struct err *err);
void router_free(struct router *r);

struct route_match {
    const struct route *route;
    int nparams;
    const char *names[REQUEST_PARAMS_MAX];
    const char *values[REQUEST_PARAMS_MAX]; /* allocated from the arena given to router_match */
    char allow[64];                         /* for 405: the methods the matched pattern has */
};

/* ERR_OK with m filled, ERR_NOT_FOUND, or ERR_METHOD (m->allow set). */
enum err_code router_match(const struct router *r, struct arena *a, const char *method, const char *path, struct route_match *m);

/* Checks the table: no duplicate or ambiguous route, well-formed patterns. Used by router_new and a unit test. */
enum err_code router_check(const struct route *routes, size_t count, struct err *err);

#endif
