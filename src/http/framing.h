/*
 * framing.h: the strict reading of a request's head that libmicrohttpd
 * 0.9.75 does not do itself (RFC 9112 §5.1, §6.1, §6.3).
 *
 * Refused, with 400 and the connection closed by the caller:
 *   - Content-Length twice (any values), or beside Transfer-Encoding, or
 *     not a plain decimal number (request smuggling);
 *   - whitespace between a header's name and its colon;
 *   - a NUL byte in the request target, raw or as %00, or in a header
 *     (libmicrohttpd keeps C strings, so either would silently cut the
 *     path or a token short).
 *
 * libmicrohttpd turns the head into C strings in place, in one buffer:
 * "GET\0/path\0HTTP/1.1\0\0Name\0 value\0\0...". A NUL that arrived on the
 * wire hides what follows it from every string. The check therefore walks
 * the buffer: between the end of one string (the method, the version, each
 * header's name and value) and the start of the next there may be only the
 * NULs libmicrohttpd wrote and the blanks it skipped. The target is
 * measured before libmicrohttpd unescapes it (the URI log callback), since
 * it is rewritten in place after that.
 */
#ifndef SLIPWAY_FRAMING_H
#define SLIPWAY_FRAMING_H

#include "core/common.h"

struct MHD_Connection;

/* What the URI log callback saw of the target before it was unescaped. */
struct framing_target {
    size_t len;       /* strlen of the target as received */
    bool escaped_nul; /* it holds %00 */
};

/*
 * NULL when the head is sound, else what is wrong with it (a static
 * string, safe to show the client). method, url and version are the
 * arguments libmicrohttpd gave the request handler on its first call.
 */
const char *framing_error(struct MHD_Connection *conn, const char *method, const char *url, const char *version,
                          const struct framing_target *target);

/* Fills t from the target as the URI log callback receives it. */
void framing_target_note(struct framing_target *t, const char *uri);

#endif
