/*
 * roles.h: who may call a route, and who is calling.
 *
 * The generic HTTP layer knows neither: a route's `access` (http/router.h)
 * is an integer it hands, uninterpreted, to the access hook the
 * application gives server_start (routes.c: routes_admit), and the caller
 * it authenticated hangs on the request as an opaque pointer
 * (req->principal) that only this header's principal_of() reads. Roles and
 * the principal are tenancy's notions, so they live here
 * (docs/internals/router.md, "Route classes").
 */
#ifndef SLIPWAY_ROLES_H
#define SLIPWAY_ROLES_H

#include "http/request.h"

/* A member's role in a tenant, and the levels below it a route can ask for: nobody, any account. Ordered: more is more. */
enum role { ROLE_PUBLIC, ROLE_ACCOUNT, ROLE_VIEWER, ROLE_EDITOR, ROLE_OWNER };

/*
 * A route's access class (struct route's `access`): a minimum role, or one
 * of the classes after them, which are not roles.
 */
enum access {
    ACCESS_PUBLIC = ROLE_PUBLIC,
    ACCESS_ACCOUNT = ROLE_ACCOUNT,
    ACCESS_VIEWER = ROLE_VIEWER, /* a role in the path's {tenantId}: these three */
    ACCESS_EDITOR = ROLE_EDITOR,
    ACCESS_OWNER = ROLE_OWNER,
    /* Anyone; but a caller who sends credentials (token or session) is authenticated, and bad ones are a 401. */
    ACCESS_PUBLIC_OR_ACCOUNT,
    /* No token: the provider's signature over the raw body, for the integration the path's {hookId} names (webhooks.h). */
    ACCESS_WEBHOOK,
    /* The instance administrator's account (docs/accounts.md); to every other account the route does not exist (404). */
    ACCESS_ADMIN,
};

/* "public", "account", "viewer", "editor", "owner". */
const char *role_name(enum role r);
/* Parses "viewer", "editor", "owner"; returns ROLE_PUBLIC for anything else. */
enum role role_parse(const char *s);
/* As `slipway routes` and docs/openapi.yaml's x-slipway-role spell it: a role's name, "public" for anyone, "webhook", "admin". */
const char *access_name(int access);

/* The authenticated caller, filled by the access hook (auth.h). */
struct principal {
    bool authenticated;
    char account_id[UUID_SIZE];
    /* The account's; filled on routes without a tenant only (auth.c says why). */
    char email[EMAIL_SIZE];
    char name[1024]; /* 200 characters of UTF-8 */
    char created_at[TIMESTAMP_SIZE], updated_at[TIMESTAMP_SIZE];
    char token_id[UUID_SIZE];
    char sso_tenant_id[UUID_SIZE]; /* the tenant whose identity provider signed the token's session in; "" for a password; filled on
                                      routes without a tenant only */
    bool instance_admin;           /* the account administers the instance; filled on routes without a tenant only */
    char tenant_id[UUID_SIZE];     /* the path's tenant, once the caller's membership is checked */
    enum role role;                /* the caller's role in tenant_id */
    int64_t tenant_revision;       /* tenant_id's revision as this request found it (tenants.h: tenant_tx) */
    /* On a webhook route: the integration whose signature the body carried, and its type (integrations/webhooks.h). */
    char integration_id[UUID_SIZE];
    char integration_type[32];
    char integration_digest[65]; /* the HMAC signature found valid (the body's digest under the hook's secret), or "" */
};

/* The request's caller; an empty (unauthenticated) one when no hook ran. Borrowed. */
const struct principal *principal_of(const struct request *req);

/* Gives req a principal of its own (from its arena), empty, and returns it: the access hook fills it. */
struct principal *principal_new(struct request *req);

#endif
