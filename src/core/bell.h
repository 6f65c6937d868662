/*
 * bell.h: a writer tells the readers in this process that something under
 * a key changed (issue 17: a deployment's log lines, rung by the SSH loop
 * once they are committed, heard by the stream hub).
 *
 * A ring carries no data and is never queued: a listener reads the state
 * again from the database, so a ring it missed only costs it its own
 * fallback poll. Writers in another process cannot ring here; that
 * fallback poll is what sees their changes.
 *
 * A listener runs on the ringer's thread, under the bell's lock: it must
 * be quick (mark and signal) and must not ring. Thread-safe.
 */
#ifndef SLIPWAY_BELL_H
#define SLIPWAY_BELL_H

#include "core/common.h"

#define BELL_LISTENERS_MAX 4

typedef void (*bell_fn)(void *ctx, const char *key);

/* Adds a listener; false when BELL_LISTENERS_MAX are listening already. */
bool bell_listen(bell_fn fn, void *ctx);
/* Removes it: once this returns, fn is not running and is not called again with ctx. */
void bell_unlisten(bell_fn fn, void *ctx);
/* Calls every listener with key (a deployment's id, say). */
void bell_ring(const char *key);

#endif
