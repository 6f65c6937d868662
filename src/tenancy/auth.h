/*
 * auth.h: who is calling, and what they may see.
 *
 * The access hook's tenancy half (auth_admit, called through routes.c's
 * routes_admit for every route but the signed webhooks):
 * auth_authenticate turns "Authorization: Bearer
 * slw_..." (or, without that header, the browser's session cookie, with its
 * CSRF check: session.h) into the request's principal (roles.h) and, for a route under /{tenantId},
 * checks the caller's role there and reads the tenant's revision, in one
 * indexed read (token hash joined to its account, its membership and the
 * tenant). A tenant the caller is not in, a deleted one, or a role below the
 * route's minimum all answer ERR_NOT_FOUND, so existence never leaks.
 *
 * Token use is recorded in memory and written to api_tokens.lastUsedAt in
 * one transaction every SLIPWAY_TOKEN_FLUSH seconds (and at shutdown), so a
 * request never pays for a database write.
 */
#ifndef SLIPWAY_AUTH_H
#define SLIPWAY_AUTH_H

#include "tenancy/roles.h"

/*
 * Admits req to a route of class access (roles.h), any but ACCESS_WEBHOOK:
 * public routes let anyone through (authenticating a caller who sends
 * credentials on ACCESS_PUBLIC_OR_ACCOUNT), account routes need a valid
 * token, role routes a role at least as high in the path's {tenantId}.
 */
enum err_code auth_admit(struct request *req, int access, struct err *err);

/*
 * Authenticates the caller and, when tenant_id is not NULL, checks that
 * its role there is at least min. ERR_UNAUTHENTICATED when credentials are
 * missing or bad; ERR_NOT_FOUND when the caller may not see the tenant.
 */
enum err_code auth_authenticate(struct request *req, const char *tenant_id, enum role min, struct err *err);

/* The batch of lastUsedAt updates. */
struct token_usage *token_usage_start(struct store *store, int flush_seconds);
void token_usage_touch(struct token_usage *u, const char *token_id);
/* Flushes what is pending, stops the flusher and frees u. */
void token_usage_stop(struct token_usage *u);

#endif
