/*
 * fnv.h: FNV-1a (64-bit), the hash of slipway's in-memory tables (the rate
 * limits, the revision cache, the connection counts per address). Fast and
 * simple, not keyed against collisions: a table that an attacker's keys
 * fill passes a random seed and mixes the result (ratelimit.c).
 */
#ifndef SLIPWAY_FNV_H
#define SLIPWAY_FNV_H

#include "core/common.h"

/* FNV-1a of the n bytes at p, from the offset basis xor seed (0: the standard FNV-1a). */
static inline uint64_t fnv1a(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t h = 14695981039346656037u ^ seed;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211u;
    return h;
}

#endif
