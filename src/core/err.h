/*
 * err.h: the one error vocabulary of slipway.
 *
 * ERR_MAP is the single table (libuv's UV_ERRNO_MAP): each row yields the
 * enum constant, the HTTP status and the machine-readable code that clients
 * see. A fallible function returns an enum err_code (ERR_OK is 0) and fills
 * the struct err given as its last argument:
 *
 *     return err_set(err, ERR_INVALID, "limit must be 1..200");
 *
 * Validation adds one detail per problem with err_detail() and then fails
 * once with err_set(), so a client fixes everything in one round trip.
 * Messages are for clients: database, OpenSSL and libcurl text goes to the
 * log, never into a struct err. Messages and details are always valid
 * UTF-8: text that does not fit is cut between two characters, and a byte
 * that is not UTF-8 (from a request's method or path) becomes '?'.
 */
#ifndef SLIPWAY_ERR_H
#define SLIPWAY_ERR_H

#include "core/common.h"

#define ERR_MAP(X)                                                                                                                 \
    X(OK, 200, "ok")                                                                                                               \
    X(INVALID, 400, "invalid_request")                                                                                             \
    X(MALFORMED_JSON, 400, "malformed_json")                                                                                       \
    X(UNAUTHENTICATED, 401, "unauthenticated")                                                                                     \
    X(BAD_CREDENTIALS, 401, "invalid_credentials")                                                                                 \
    X(TOTP_REQUIRED, 401, "totp_required")                                                                                         \
    X(CSRF, 403, "csrf_failed")                                                                                                    \
    X(SSO_REQUIRED, 403, "sso_required")                                                                                           \
    X(NOT_FOUND, 404, "not_found")                                                                                                 \
    X(METHOD, 405, "method_not_allowed")                                                                                           \
    X(CONFLICT, 409, "conflict")                                                                                                   \
    X(TOO_LARGE, 413, "payload_too_large")                                                                                         \
    X(MEDIA_TYPE, 415, "unsupported_media_type")                                                                                   \
    X(RATE_LIMITED, 429, "rate_limited")                                                                                           \
    X(USAGE_LIMIT, 429, "usage_limit")                                                                                             \
    X(INTERNAL, 500, "internal")                                                                                                   \
    X(UNAVAILABLE, 503, "unavailable")

enum err_code {
#define ERR_ENUM(name, status, code) ERR_##name,
    ERR_MAP(ERR_ENUM)
#undef ERR_ENUM
        ERR__COUNT
};

#define ERR_DETAILS_MAX 32

struct err_detail {
    char field[64];
    char message[160];
};

struct err {
    enum err_code code;
    bool transient;  /* a retry may succeed: busy database, serialization failure */
    int retry_after; /* seconds, for ERR_RATE_LIMITED and ERR_USAGE_LIMIT; 0 when unknown */
    char message[256];
    int ndetails;
    struct err_detail details[ERR_DETAILS_MAX];
};

/* Resets *e to "no error". */
void err_clear(struct err *e);

/* Sets code and message; returns code so it can be returned directly. */
enum err_code err_set(struct err *e, enum err_code code, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Appends a field problem (extra ones past ERR_DETAILS_MAX are dropped). */
void err_detail(struct err *e, const char *field, const char *fmt, ...) PRINTF_LIKE(3, 4);

int err_http_status(enum err_code code);
const char *err_code_name(enum err_code code);

#endif
