/*
 * tokens.h: issuing API tokens (logins issue them too). The token text is
 * returned to the caller once and never stored: only its hash is.
 */
#ifndef SLIPWAY_TOKENS_H
#define SLIPWAY_TOKENS_H

#include "crypto/token.h"
#include "http/request.h"

struct issued_token {
    char id[UUID_SIZE];
    char token[TOKEN_SIZE]; /* the secret: wipe with hash_cleanse when done */
    char prefix[TOKEN_PREFIX_LEN + 1];
    char created_at[TIMESTAMP_SIZE];
    char expires_at[TIMESTAMP_SIZE]; /* empty: never */
};

/*
 * Creates a token for account_id; ttl_ms 0 means it never expires.
 * sso_tenant: the tenant whose identity provider signed this session in, or
 * whose sign-on the session making this token had; NULL (or "") for none
 * (a tenant that requires its sign-on refuses such a token: auth.c).
 */
enum err_code tokens_issue(struct store_conn *c, const char *account_id, const char *sso_tenant, const char *name, int64_t ttl_ms,
                           struct issued_token *t, struct err *err);

/* The public view of an issued token, with the secret when with_secret. Caller owns. */
json_t *issued_token_json(const struct issued_token *t, const char *name, bool with_secret);

#endif
