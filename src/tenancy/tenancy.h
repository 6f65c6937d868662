/*
 * tenancy.h: what tenancy needs from the application (the pools, the rate
 * limits, the lastUsedAt batch, a few settings), handed over once at
 * start-up by main.c, before the server serves, and read-only after. Tenancy
 * never sees the application's own context (app.h): the include would go up
 * a layer (tests/spec/test_layers.py).
 */
#ifndef SLIPWAY_TENANCY_H
#define SLIPWAY_TENANCY_H

#include "crypto/password.h"

struct jobs;
struct keyring;
struct ratelimit;
struct token_usage;
struct workpool;

struct tenancy_env {
    struct password_params pw;
    struct workpool *hash_pool;      /* argon2id work, off the HTTP workers */
    struct ratelimit *login_limit;   /* login attempts a minute per client address */
    struct ratelimit *login_backoff; /* login attempts per (client address, e-mail address), with growing delays */
    struct token_usage *usage;       /* lastUsedAt, written in batches (auth.h) */
    int session_ttl;                 /* seconds a login token lives */
    int login_rate;                  /* SLIPWAY_LOGIN_RATE */
    int invite_rate;                 /* SLIPWAY_INVITE_RATE: invitations a tenant may make in any hour */
    bool cookie_secure;              /* session cookies always Secure */
    bool open_signup;                /* SLIPWAY_OPEN_SIGNUP: anyone may make an account and a tenant (signup_http.c) */
    bool mail;                       /* SLIPWAY_SMTP_URL is set: invitations and password resets go by mail (account_mail.h) */
    struct jobs *jobs;               /* the queue the mail jobs go on */
    const char *public_url;          /* SLIPWAY_PUBLIC_URL: the links in the mail start with it */
    const struct keyring *keys;      /* encrypts TOTP secrets (totp_http.c) */
};

/* Copies env; call it before the server starts. */
void tenancy_start(const struct tenancy_env *env);
/* The environment tenancy_start gave (all zero before it). */
const struct tenancy_env *tenancy(void);

#endif
