/*
 * rand.h: randomness from the kernel (getrandom), for ids and tokens.
 * Never rand(): every random value here may end up guarding something.
 */
#ifndef SLIPWAY_RAND_H
#define SLIPWAY_RAND_H

#include "core/common.h"

/* Fills p with n random bytes; aborts if the kernel cannot provide them. */
void rand_bytes(void *p, size_t n);

/* A random (version 4) UUID, lower case, into out[UUID_SIZE]. */
void rand_uuid(char out[UUID_SIZE]);

/* True if s is a canonical lower- or upper-case UUID. */
bool uuid_valid(const char *s);

#endif
