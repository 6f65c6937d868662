/*
 * arena.h: a region allocator (h2o's mem pools).
 *
 * One arena lives for one request: created when the request starts and
 * destroyed in libmicrohttpd's request-completed callback. Everything
 * per-request comes from it and is never freed one by one. Cleanups of
 * foreign objects (a json_t, a buffer) hang on it with arena_defer() and run
 * in reverse order at arena_destroy().
 *
 * Never put plaintext secrets in an arena: they would outlive their use.
 */
#ifndef SLIPWAY_ARENA_H
#define SLIPWAY_ARENA_H

#include "core/common.h"

struct arena;

struct arena *arena_new(void);
void arena_destroy(struct arena *a);

/* Zeroed memory aligned for any type; aborts on exhaustion. */
void *arena_alloc(struct arena *a, size_t n);
/* A copy of p's n bytes (the copy is the zeroing: a cached page's 5 KB are not written twice). */
void *arena_memdup(struct arena *a, const void *p, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Runs fn(p) when the arena is destroyed. */
void arena_defer(struct arena *a, void (*fn)(void *), void *p);

/* Bytes handed out so far (for tests and metrics). */
size_t arena_used(const struct arena *a);

#endif
