/*
 * jwt.h: signed JSON Web Tokens (RFC 7519) for providers that want them:
 * App Store Connect (ES256 with the team's P-256 key, signature as raw
 * R||S per RFC 7518 section 3.4, not DER) and Google service accounts
 * (RS256, for the jwt-bearer grant of RFC 7523); and the verification of
 * an OpenID Connect ID token against its provider's JWK Set (RFC 7517).
 */
#ifndef SLIPWAY_JWT_H
#define SLIPWAY_JWT_H

#include <jansson.h>

#include "core/common.h"
#include "core/err.h"

enum jwt_alg { JWT_ES256, JWT_RS256 };

/*
 * Signs claims (borrowed) with the PEM private key; kid may be NULL.
 * *out is a malloc'd compact JWS (caller frees). ERR_INVALID when the key
 * is not of the algorithm's type.
 */
enum err_code jwt_sign(enum jwt_alg alg, const char *pem_key, const char *kid, json_t *claims, char **out, struct err *err);

/*
 * Verifies the compact JWS token against jwks (a JWK Set, borrowed): its
 * alg must be RS256 or ES256 ("none" and HMAC are refused: a public key is
 * not a shared secret), and the key is the set's key with the header's kid
 * and a matching type (without a kid: the set's only key of that type).
 * On success *claims is the payload, an object (caller owns). ERR_NOT_FOUND
 * when no key of the set has the kid (the set may have rotated: fetch it
 * again, once); ERR_INVALID for anything else, with a message that names
 * what failed and never echoes the token.
 */
enum err_code jwt_verify(const char *token, const json_t *jwks, json_t **claims, struct err *err);

#endif
