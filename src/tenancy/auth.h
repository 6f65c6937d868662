/*
 * auth.h: who is calling, and what they may see.
 *
 * The server's hook: auth_authenticate turns "Authorization: Bearer
 * slw_..." (or, without that header, the browser's session cookie, with its
 * CSRF check: session.h) into req->who and, for a route under /{tenantId},
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

#include "app.h"

enum err_code auth_authenticate(struct request *req, const char *tenant_id, enum role min, struct err *err);

/* The batch of lastUsedAt updates. */
struct token_usage *token_usage_start(struct store *store, int flush_seconds);
void token_usage_touch(struct token_usage *u, const char *token_id);
/* Flushes what is pending, stops the flusher and frees u. */
void token_usage_stop(struct token_usage *u);

#endif
