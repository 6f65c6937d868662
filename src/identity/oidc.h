/*
 * oidc.h: the OpenID Connect pieces of single sign-on that hold no state of
 * a login: PKCE and random values, the ID token's claim checks, the groups
 * claim, and the cache of the providers' discovery documents and key sets.
 * The flow that uses them is sso_http.c (docs/sso.md).
 */
#ifndef SLIPWAY_OIDC_H
#define SLIPWAY_OIDC_H

#include <jansson.h>

#include "core/common.h"
#include "core/err.h"

/* 32 random bytes as base64url: a state, a nonce, a PKCE verifier (RFC 7636: 43 characters). */
#define OIDC_RANDOM_SIZE 44
/* The S256 challenge of a verifier: SHA-256 as base64url. */
#define OIDC_CHALLENGE_SIZE 44
/* Seconds of clock difference allowed with the provider for exp and iat. */
#define OIDC_SKEW_S 60

void oidc_random(char out[OIDC_RANDOM_SIZE]);
void oidc_pkce_challenge(const char *verifier, char out[OIDC_CHALLENGE_SIZE]);

/*
 * The ID token's claims (OpenID Connect Core 3.1.3.7): iss is issuer, aud
 * is client_id or an array holding it, azp (when present, and required
 * when aud names several) is client_id, exp is after and iat not after
 * now_s (both give OIDC_SKEW_S), nonce is nonce, sub is a non-empty
 * string. ERR_BAD_CREDENTIALS names the claim that fails.
 */
enum err_code oidc_claims_check(const json_t *claims, const char *issuer, const char *client_id, const char *nonce, int64_t now_s,
                                struct err *err);

/* The groups of claim in obj: an array of its strings (one string: an array of one). NULL when obj has no such claim. Caller owns.
 */
json_t *oidc_groups(const json_t *obj, const char *claim);

/*
 * Fetched JSON documents (discovery, JWK Sets), by URL, for an hour. get
 * returns a copy (caller owns) or NULL when absent or stale; put copies.
 */
json_t *oidc_cache_get(const char *url);
void oidc_cache_put(const char *url, const json_t *doc);

#endif
