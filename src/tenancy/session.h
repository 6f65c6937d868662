/*
 * session.h: the browser's session, a login token carried in a cookie.
 *
 * Scripts send "Authorization: Bearer slw_..."; the web UI logs in with
 * {"cookie": true} and gets the same kind of token in the HttpOnly cookie
 * slipway_session (SameSite=Strict, Path=/, Secure behind TLS) instead of in
 * the answer, so no script on the page can read it. auth_authenticate reads
 * the cookie when no Authorization header is sent, then takes the same path
 * as a bearer token (same lookup, same roles, same tenant checks).
 *
 * CSRF: every request authenticated by the cookie whose method is not GET
 * or HEAD must carry X-CSRF-Token, the hex SHA-256 of a fixed label and the
 * session token. It is bound to the session (it changes with every login
 * and dies with the token), the login answer returns it as csrfToken, and
 * the readable cookie slipway_csrf keeps it across page loads; a page on
 * another site can neither read it nor compute it. Bearer requests need
 * none (a browser never attaches them by itself).
 */
#ifndef SLIPWAY_SESSION_H
#define SLIPWAY_SESSION_H

#include "crypto/hash.h"
#include "http/request.h"

#define SESSION_COOKIE "slipway_session"
#define SESSION_CSRF_COOKIE "slipway_csrf"
#define SESSION_CSRF_HEADER "X-CSRF-Token"

/* The CSRF token of a session token, into out[SHA256_HEX_SIZE]. */
void session_csrf_token(const char *token, char out[SHA256_HEX_SIZE]);

/* The session token the request's cookie carries (borrowed from the request), or NULL. */
const char *session_cookie_token(const struct request *req);

/* ERR_OK for a safe method or a matching X-CSRF-Token; ERR_CSRF otherwise. */
enum err_code session_csrf_check(const struct request *req, const char *token, struct err *err);

/* Adds the Set-Cookie headers of a new session (token for max_age seconds) and its CSRF token (also copied to csrf). */
void session_cookies_set(struct request *req, const char *token, int64_t max_age, char csrf[SHA256_HEX_SIZE]);

/* Adds the Set-Cookie headers that remove both cookies. */
void session_cookies_clear(struct request *req);

#endif
