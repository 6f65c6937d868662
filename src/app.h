/*
 * app.h: the application context every handler reaches through req->app.
 * Built once in main.c; everything in it is thread-safe or read-only.
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
struct jobs;
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

static inline struct app *app_of(const struct request *req)
{
    return req->app;
}

#endif
