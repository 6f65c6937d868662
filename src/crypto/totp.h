/*
 * totp.h: time-based one-time passwords (RFC 6238 over RFC 4226's HOTP,
 * HMAC-SHA1, 30-second steps, 6 digits), as authenticator apps compute
 * them, for the second factor of password accounts (docs/accounts.md).
 *
 * The secret is 20 random bytes (RFC 4226's recommended length), shown to
 * the user once as base32 in an otpauth:// URI and stored encrypted like
 * every other secret. A code is accepted for the step it was made in and
 * one step either side (a phone's clock a little off), and only for a step
 * later than the last one accepted, so a code seen over a shoulder or in a
 * log cannot be used again.
 */
#ifndef SLIPWAY_TOTP_H
#define SLIPWAY_TOTP_H

#include "core/common.h"

#define TOTP_SECRET_BYTES 20
#define TOTP_SECRET_B32_SIZE 33 /* 20 bytes in base32, without padding, and the NUL */
#define TOTP_STEP_SECONDS 30
#define TOTP_DIGITS 6
#define TOTP_SKEW_STEPS 1

/* RFC 4226's HOTP: the code for counter under key, as a number below 10^digits (digits 6..8). */
uint32_t totp_hotp(const void *key, size_t keylen, uint64_t counter, int digits);

/*
 * The step a TOTP_DIGITS-digit code (code: exactly that many ASCII digits)
 * was made in, when it is the code of a step within TOTP_SKEW_STEPS of
 * now_s's step and later than last_step (the last step accepted; -1 for
 * none); else -1. Every candidate step is computed and compared, so timing
 * says nothing of which one matched.
 */
int64_t totp_check(const void *key, size_t keylen, const char *code, int64_t now_s, int64_t last_step);

/* Base32 (RFC 4648, upper case, no padding) of n <= TOTP_SECRET_BYTES bytes into out[TOTP_SECRET_B32_SIZE]. */
void totp_base32(const unsigned char *p, size_t n, char out[TOTP_SECRET_B32_SIZE]);

#endif
