/*
 * router.h: the route table's shape and the matcher.
 *
 * The table itself lives in src/routes.c, the only file that names every
 * domain handler; the server is handed it at start-up. The router, not the
 * handler, authenticates, checks the path's tenant against the caller's
 * roles, enforces the body limit, and parses and validates the JSON body.
 *
 * Patterns are literal segments and {params}. A parameter has a kind:
 * {name:uuid}, {name:int} (decimal digits, at most 18) or {name:text} (any
 * non-empty segment); without one, `id` and names ending in `Id` are uuid
 * and the rest text. A value of the wrong kind still matches its route (so
 * an unauthenticated caller learns nothing) but leaves the match
 * implausible: the server answers 404 after authentication. Kinds never
 * choose between routes: two patterns that differ only in names or kinds
 * are ambiguous. When several patterns match a
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
    int access;                /* who may call it: the application's class, opaque here, given to the access hook (server.h) */
    const struct schema *body; /* NULL: the route takes no body (one sent is ignored) */
    handler_fn handler;
};

enum param_kind { PARAM_TEXT, PARAM_UUID, PARAM_INT };

/* "text", "uuid", "int": the spelling in patterns and in `slipway routes`. */
const char *param_kind_name(enum param_kind kind);

struct route_param {
    const char *name; /* points into the pattern: not terminated, len bytes */
    size_t len;
    enum param_kind kind;
};

/* The path parameters of pattern, in order, into out; their number, or -1 for a malformed pattern. */
int router_params(const char *pattern, struct route_param out[ROUTER_MAX_SEGMENTS]);

/* The pattern without its kinds ({id:int} -> {id}), as docs/openapi.yaml spells the path; false if it does not fit. */
bool router_template(const char *pattern, char *out, size_t size);

struct router;

/* Builds a matcher over routes (borrowed: it must outlive the router). Fails on a malformed table. */
struct router *router_new(const struct route *routes, size_t count, struct err *err);
void router_free(struct router *r);

struct route_match {
    const struct route *route;
    int nparams;
    const char *names[REQUEST_PARAMS_MAX];
    const char *values[REQUEST_PARAMS_MAX]; /* allocated from the arena given to router_match */
    bool plausible;                         /* every value is of its parameter's kind */
    char allow[64];                         /* for 405: the methods the matched pattern has */
};

/* ERR_OK with m filled, ERR_NOT_FOUND, or ERR_METHOD (m->allow set). */
enum err_code router_match(const struct router *r, struct arena *a, const char *method, const char *path, struct route_match *m);

/* Checks the table: no duplicate or ambiguous route, well-formed patterns. Used by router_new and a unit test. */
enum err_code router_check(const struct route *routes, size_t count, struct err *err);

#endif
