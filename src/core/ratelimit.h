/*
 * ratelimit.h: counters by key, in memory (per process).
 *
 * Two kinds, one table type: fixed windows (each key may be hit `limit`
 * times per window; ratelimit_hit) and backoff (a key's first attempts
 * pass, then each one waits twice as long as the one before;
 * ratelimit_backoff). Keys of any length count whole. The table has a
 * fixed size: when full, expired keys are dropped first, then the oldest.
 * Where a key lands is a hash seeded at random per table, so nobody can
 * pick keys that push a chosen key out.
 */
#ifndef SLIPWAY_RATELIMIT_H
#define SLIPWAY_RATELIMIT_H

#include "core/common.h"

struct ratelimit;

/* window_seconds: the window of ratelimit_hit, and the first delay of ratelimit_backoff. */
struct ratelimit *ratelimit_new(int window_seconds, size_t max_keys);
void ratelimit_free(struct ratelimit *rl);
/* Counts one hit for key; true when allowed. *retry_after gets seconds until the window ends. */
bool ratelimit_hit(struct ratelimit *rl, const char *key, int limit, int *retry_after);

/*
 * Backoff: the first `allowance` attempts for key since it was last forgotten
 * pass at once; after them an attempt passes only once a delay has gone by
 * since the previous one: the window, then twice that, four times...,
 * at most RATELIMIT_BACKOFF_MAX windows. True when allowed (the attempt is
 * counted); else *retry_after gets the seconds to wait. A key without an
 * attempt for RATELIMIT_BACKOFF_FORGET windows starts over.
 */
#define RATELIMIT_BACKOFF_MAX 16
#define RATELIMIT_BACKOFF_FORGET 64
bool ratelimit_backoff(struct ratelimit *rl, const char *key, int allowance, int *retry_after);
/* Forgets key's attempts (a login that succeeded). */
void ratelimit_forget(struct ratelimit *rl, const char *key);

/* For tests: the clock in ms (default clock_mono_ms). */
void ratelimit_set_clock(struct ratelimit *rl, int64_t (*now_ms)(void));

#endif
