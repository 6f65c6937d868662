#include "core/arena.h"

#include <stdarg.h>
#include <stdalign.h>

#include "core/xmalloc.h"

#define ARENA_BLOCK 4096

struct block {
    struct block *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
};

struct deferred {
    struct deferred *next;
    void (*fn)(void *);
    void *p;
};

struct arena {
    struct block *head; /* current block; older ones follow */
    struct deferred *defers;
    size_t total;
};

static struct block *block_new(size_t size)
{
    struct block *b = xmalloc(sizeof *b + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

struct arena *arena_new(void)
{
    struct arena *a = xcalloc(1, sizeof *a);
    a->head = block_new(ARENA_BLOCK);
    return a;
}

void arena_destroy(struct arena *a)
{
    if (!a)
        return;
    while (a->defers) {
        struct deferred *d = a->defers;
        a->defers = d->next;
        d->fn(d->p);
    }
    while (a->head) {
        struct block *b = a->head;
        a->head = b->next;
        free(b);
    }
    free(a);
}

/* n bytes aligned for any type, not zeroed: what a copy fills whole (arena_memdup, arena_strndup) need not be zeroed first. */
static void *arena_take(struct arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    size_t need = (n + align - 1) & ~(align - 1);
    struct block *b = a->head;

    if (need == 0)
        need = align;
    if (b->size - b->used < need) {
        if (need > ARENA_BLOCK / 4) {
            /* Big allocations get their own block behind the current one. */
            struct block *big = block_new(need);
            big->next = b->next;
            b->next = big;
            big->used = need;
            a->total += need;
            return big->data;
        }
        b = block_new(ARENA_BLOCK);
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->total += need;
    return p;
}

void *arena_alloc(struct arena *a, size_t n)
{
    return memset(arena_take(a, n), 0, n);
}

void *arena_memdup(struct arena *a, const void *p, size_t n)
{
    return memcpy(arena_take(a, n), p, n);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = arena_take(a, len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, SIZE_MAX) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    int n;
    char *p;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    p = arena_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
    if (n > 0)
        vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
    struct deferred *d = arena_alloc(a, sizeof *d);
    d->fn = fn;
    d->p = p;
    d->next = a->defers;
    a->defers = d;
}

size_t arena_used(const struct arena *a)
{
    return a->total;
}
