/*
 * session.c: cookies and CSRF tokens of browser sessions (session.h).
 * Whether a cookie is Secure: SLIPWAY_COOKIE_SECURE, or the request came
 * through a TLS-terminating proxy that says X-Forwarded-Proto: https.
 */
#include "tenancy/session.h"

#include <strings.h>

#include "tenancy/tenancy.h"

static const char csrf_label[] = "slipway-csrf-v1:";

void session_csrf_token(const char *token, char out[SHA256_HEX_SIZE])
{
    char input[sizeof csrf_label + 128];
    int n = snprintf(input, sizeof input, "%s%s", csrf_label, token);

    hash_sha256_hex(input, n > 0 && (size_t)n < sizeof input ? (size_t)n : 0, out);
    hash_cleanse(input, sizeof input);
}

const char *session_cookie_token(const struct request *req)
{
    return request_cookie(req, SESSION_COOKIE);
}

enum err_code session_csrf_check(const struct request *req, const char *token, struct err *err)
{
    const char *sent = request_header(req, SESSION_CSRF_HEADER);
    char want[SHA256_HEX_SIZE];

    if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0)
        return ERR_OK;
    session_csrf_token(token, want);
    if (!sent || strlen(sent) != SHA256_HEX_SIZE - 1 || !hash_equal(sent, want, SHA256_HEX_SIZE - 1))
        return err_set(err, ERR_CSRF, "a request authenticated by the session cookie needs the " SESSION_CSRF_HEADER " header");
    return ERR_OK;
}

static bool session_secure(const struct request *req)
{
    const char *proto = request_header(req, "X-Forwarded-Proto");
    return tenancy()->cookie_secure || (proto && strcasecmp(proto, "https") == 0);
}

static void session_cookie_add(struct request *req, const char *name, const char *value, int64_t max_age, bool http_only)
{
    char line[256];

    snprintf(line, sizeof line, "%s=%s; Path=/; Max-Age=%lld; SameSite=Strict%s%s", name, value, (long long)max_age,
             http_only ? "; HttpOnly" : "", session_secure(req) ? "; Secure" : "");
    response_header(req, "Set-Cookie", line);
    hash_cleanse(line, sizeof line);
}

void session_cookies_set(struct request *req, const char *token, int64_t max_age, char csrf[SHA256_HEX_SIZE])
{
    session_csrf_token(token, csrf);
    session_cookie_add(req, SESSION_COOKIE, token, max_age, true);
    session_cookie_add(req, SESSION_CSRF_COOKIE, csrf, max_age, false);
}

void session_cookies_clear(struct request *req)
{
    session_cookie_add(req, SESSION_COOKIE, "", 0, true);
    session_cookie_add(req, SESSION_CSRF_COOKIE, "", 0, false);
}
