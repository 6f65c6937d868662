/*
 * encode.h: hex, unpadded base64url (RFC 4648 section 5) and padded base64 (section 4).
 * Output buffers are sized by the caller with the *_LEN macros plus one for NUL.
 */
#ifndef SLIPWAY_ENCODE_H
#define SLIPWAY_ENCODE_H

#include "core/common.h"

#define HEX_LEN(n) ((n)*2)
#define B64URL_LEN(n) (((n)*4 + 2) / 3)
#define B64_LEN(n) (((n) + 2) / 3 * 4)

void hex_encode(const void *p, size_t n, char *out);
/* The value of the hex digit c (either case), or -1. */
int hex_value(char c);
void b64url_encode(const void *p, size_t n, char *out);
/* Decodes unpadded base64url into out (room for len*3/4 bytes); returns the byte count or -1. */
long b64url_decode(const char *s, size_t len, void *out);

/* Standard base64 (RFC 4648 section 4) with its padding: MIME parts, Standard Webhooks' signatures. */
void b64_encode(const void *p, size_t n, char *out);
/* Decodes standard base64 (RFC 4648 section 4), padding optional, whitespace ignored; returns the byte count or -1. */
long b64_decode(const char *s, size_t len, void *out);

/* Percent-encodes every byte but RFC 3986's unreserved ones into out (size n); returns out, or NULL if it does not fit. */
char *url_escape(const char *s, char *out, size_t n);

#endif
