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
/* Compares without an early exit, so timing reveals nothing. */
bool hash_equal(const void *a, const void *b, size_t n);
/* Overwrites memory in a way the compiler may not remove. */
void hash_cleanse(void *p, size_t n);

#endif
