/*
 * app.h: the application context, built once in main.c; everything in it
 * is thread-safe or read-only. Only main.c sees it: each module is handed
 * what it needs of it at start-up (tenancy_start, verify_http_start, ...),
 * so no domain code includes this header (tests/spec/test_layers.py).
 */
#ifndef SLIPWAY_APP_H
#define SLIPWAY_APP_H

#include "core/config.h"
#include "crypto/password.h"
#include "http/request.h"
#include "providers/call.h"

struct jobs;
struct keyring;
struct ratelimit;
struct revcache;
struct server;
struct token_usage;
struct workpool;

struct app {
    struct config cfg;
    struct store *store;
    struct workpool *hash_pool;      /* argon2id work, off the HTTP workers */
    struct ratelimit *login_limit;   /* login attempts a minute per client address */
    struct ratelimit *login_backoff; /* login attempts per (client address, e-mail address), with growing delays */
    struct token_usage *usage;       /* lastUsedAt, written in batches */
    struct password_params pw;
    struct keyring *keys;           /* integration credentials: the current key, and old ones for reading */
    struct provider_loop providers; /* the outbound event loop providers are called on */
    struct jobs *jobs;              /* the workflow engine: verifications run as its jobs */
    struct revcache *status_cache;  /* setup status answers by tenant, valid at the tenant's revision (setup_get) */
    struct server *server;          /* the API's server, whose counts /metrics shows */
};

#endif
