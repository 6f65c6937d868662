/*
 * ratelimit.h: fixed-window counters by key, in memory (per process).
 *
 * Each key may be hit `limit` times per window; past that, ratelimit_hit
 * refuses and says how many seconds remain. The table has a fixed size:
 * when full, expired windows are dropped first, then the oldest.
 */
#ifndef SLIPWAY_RATELIMIT_H
#define SLIPWAY_RATELIMIT_H

#include "core/common.h"

struct ratelimit;

struct ratelimit *ratelimit_new(int window_seconds, size_t max_keys);
void ratelimit_free(struct ratelimit *rl);
/* Counts one hit for key; true when allowed. *retry_after gets seconds until the window ends. */
bool ratelimit_hit(struct ratelimit *rl, const char *key, int limit, int *retry_after);

#endif
