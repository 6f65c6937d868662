/*
 * password.h: argon2id password hashing (RFC 9106), encoded PHC strings.
 *
 * A hash costs tens of milliseconds by design; call these from the hashing
 * pool, not from an HTTP worker, except in administration commands.
 */
#ifndef SLIPWAY_PASSWORD_H
#define SLIPWAY_PASSWORD_H

#include "core/common.h"
#include "core/err.h"

#define PASSWORD_HASH_SIZE 160

struct password_params {
    uint32_t memory_kib;
    uint32_t iterations;
};

/* Hashes into out (a $argon2id$... string) with a fresh random salt. */
enum err_code password_hash(const struct password_params *p, const char *password, char out[PASSWORD_HASH_SIZE], struct err *err);
/* True when password matches encoded. A NULL encoded still spends the time of a real check. */
bool password_verify(const struct password_params *p, const char *encoded, const char *password);

/* A random password of 24 base64url characters into out[25]. */
void password_generate(char out[25]);

#endif
