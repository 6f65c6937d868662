/*
 * revcache.h: texts cached by key, each valid at one revision of its key.
 *
 * What is cached is derived from data that carries a revision number which
 * every change raises (a tenant's revision, see tenancy/tenants.h). A
 * reader who has just read the current revision gets the text only if it
 * was built at exactly that revision, so a change made by any process is
 * seen at once; a writer replaces a slot's text only with a newer one.
 *
 * Fixed size, never grows: a key hashes to one slot, and another key that
 * lands there replaces it. Thread-safe, with a lock per slot.
 */
#ifndef SLIPWAY_REVCACHE_H
#define SLIPWAY_REVCACHE_H

#include "core/arena.h"
#include "core/common.h"

struct revcache;

struct revcache *revcache_new(size_t slots);
void revcache_free(struct revcache *c);

/* A copy, in a (NUL-terminated; *len without the NUL), of key's text built at revision; NULL when there is none. */
char *revcache_get(struct revcache *c, const char *key, int64_t revision, struct arena *a, size_t *len);
/* Keeps a copy of text as key's at revision, unless its slot holds key at a newer revision. */
void revcache_put(struct revcache *c, const char *key, int64_t revision, const char *text, size_t len);

#endif
