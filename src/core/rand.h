/*
 * rand.h: randomness from the kernel (getrandom), for ids and tokens.
 * Never rand(): every random value here may end up guarding something.
 */
#ifndef SLIPWAY_RAND_H
#define SLIPWAY_RAND_H

#include "core/common.h"

/* Fills p with n random bytes; aborts if the kernel cannot provide them. */
void rand_bytes(void *p, size_t n);

/*
 * A new id, lower case, into out[UUID_SIZE]: a time-ordered UUID (version
 * 7), or a wholly random one (version 4) after rand_uuid_scatter().
 */
void rand_uuid(char out[UUID_SIZE]);

/*
 * Makes every later rand_uuid() random (version 4), for a database that
 * splits tables into ranges by key (CockroachDB), where time-ordered ids
 * would send every insert to the last range. Called at start, before
 * threads that make ids.
 */
void rand_uuid_scatter(void);

/* True if s is a canonical lower- or upper-case UUID. */
bool uuid_valid(const char *s);

#endif
