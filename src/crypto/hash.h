/*
 * hash.h: SHA-256 and constant-time comparison. The crypto/ folder is the
 * only place that includes OpenSSL.
 */
#ifndef SLIPWAY_HASH_H
#define SLIPWAY_HASH_H

#include "core/common.h"

#define SHA256_BYTES 32
#define SHA256_HEX_SIZE (SHA256_BYTES * 2 + 1)

void hash_sha256(const void *p, size_t n, unsigned char out[SHA256_BYTES]);
/* Lower-case hex digest into out[SHA256_HEX_SIZE]. */
void hash_sha256_hex(const void *p, size_t n, char out[SHA256_HEX_SIZE]);
/* HMAC-SHA256 of msg under key into out (Standard Webhooks' signatures of outbound webhooks). */
void hash_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n, unsigned char out[SHA256_BYTES]);
/*
 * True when hex (hexlen bytes, not terminated: a header's value after its
 * "sha256=" or "v1=" prefix) is the lower-case hex HMAC-SHA256 of msg
 * under key: how GitHub, CircleCI and slipway's own Jenkins hook sign an
 * inbound webhook's raw body. Constant time over the digest; a wrong
 * length is false at once (the length is public).
 */
bool hash_hmac_sha256_hex_matches(const void *key, size_t keylen, const void *msg, size_t n, const char *hex, size_t hexlen);
/*
 * An HMAC-SHA256 key set up once (the algorithm fetched, the key's pads
 * hashed) for many messages: an inbound webhook's secret, kept per
 * integration (src/integrations/webhooks.c). hmac_key_copy gives a caller
 * its own copy to use while the kept one may be freed.
 */
struct hmac_key;
struct hmac_key *hmac_key_new(const void *key, size_t keylen);
struct hmac_key *hmac_key_copy(const struct hmac_key *k);
void hmac_key_free(struct hmac_key *k);
/* hash_hmac_sha256_hex_matches under a key set up before. */
bool hmac_key_hex_matches(const struct hmac_key *k, const void *msg, size_t n, const char *hex, size_t hexlen);
/* Compares without an early exit, so timing reveals nothing. */
bool hash_equal(const void *a, const void *b, size_t n);
/* Overwrites memory in a way the compiler may not remove. */
void hash_cleanse(void *p, size_t n);

#endif
