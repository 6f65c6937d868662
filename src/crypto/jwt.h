/*
 * jwt.h: signed JSON Web Tokens (RFC 7519) for providers that want them:
 * App Store Connect (ES256 with the team's P-256 key, signature as raw
 * R||S per RFC 7518 section 3.4, not DER) and Google service accounts
 * (RS256, for the jwt-bearer grant of RFC 7523).
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

#endif
