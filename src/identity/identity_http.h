/*
 * identity_http.h: single sign-on over HTTP (docs/sso.md): an owner's
 * identity providers under /api/v1/{tenantId}/iam/providers, and the
 * OpenID Connect login under /api/v1/auth/oidc.
 */
#ifndef SLIPWAY_IDENTITY_HTTP_H
#define SLIPWAY_IDENTITY_HTTP_H

#include "http/router.h"

struct keyring;
struct provider_loop;
struct workpool;

struct identity_env {
    const struct keyring *keys;       /* client secrets */
    const struct provider_loop *loop; /* calls to the identity providers */
    struct workpool *pool;            /* the login's steps between calls (database, signatures) */
    const char *public_url;           /* SLIPWAY_PUBLIC_URL: the redirect URI starts with it ("" disables logins) */
    const char *dns_resolver;         /* SLIPWAY_DNS_RESOLVER: proves claimed e-mail domains ("" or NULL: none) */
    struct workpool *dns_pool;        /* the DNS questions (they block); NULL without a resolver */
};

/* Copies env (public_url is kept as given: it must outlive the server); call it before the server starts. */
void identity_http_start(const struct identity_env *env);
/* What identity_http_start gave. */
const struct identity_env *identity(void);

extern const struct schema iam_provider_create_schema, iam_provider_update_schema;

/* AUTH0, AZURE, GOOGLE, OIDC, OKTA. */
extern const char *const iam_provider_types[];

enum err_code iam_providers_list(struct request *req, struct err *err);
enum err_code iam_provider_post(struct request *req, struct err *err);
enum err_code iam_provider_get(struct request *req, struct err *err);
enum err_code iam_provider_patch(struct request *req, struct err *err);
enum err_code iam_provider_delete(struct request *req, struct err *err);

/* A provider's claimed e-mail domains and their DNS proof (docs/sso.md, "Finding the sign-on"). */
extern const struct schema iam_domain_schema;
enum err_code iam_domains_list(struct request *req, struct err *err);
enum err_code iam_domain_claim(struct request *req, struct err *err);
enum err_code iam_domain_check(struct request *req, struct err *err);

/* The tenant's sign-on policy (policy_http.c). */
extern const struct schema iam_settings_schema;
enum err_code iam_settings_get(struct request *req, struct err *err);
enum err_code iam_settings_patch(struct request *req, struct err *err);
/* The providers a login page offers for a tenant's slug or a work e-mail's domain. */
enum err_code sso_discover(struct request *req, struct err *err);

enum err_code sso_start(struct request *req, struct err *err);
enum err_code sso_callback(struct request *req, struct err *err);

#endif
