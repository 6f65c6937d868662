#include "core/ratelimit.h"

#include <pthread.h>

#include "core/clock.h"
#include "core/fnv.h"
#include "core/rand.h"
#include "core/xmalloc.h"

struct slot {
    char *key;     /* the whole key; NULL: free */
    int64_t start; /* fixed window: when it began; backoff: the last counted attempt */
    int count;
};

struct ratelimit {
    pthread_mutex_t lock;
    int64_t window_ms;
    size_t nslots; /* a power of two */
    struct slot *slots;
    uint64_t seed;
    int64_t (*now)(void);
};

struct ratelimit *ratelimit_new(int window_seconds, size_t max_keys)
{
    struct ratelimit *rl = xcalloc(1, sizeof *rl);
    size_t n = 16;
    while (n < max_keys)
        n *= 2;
    pthread_mutex_init(&rl->lock, NULL);
    rl->window_ms = (int64_t)window_seconds * 1000;
    rl->nslots = n;
    rl->slots = xcalloc(n, sizeof *rl->slots);
    rand_bytes(&rl->seed, sizeof rl->seed);
    rl->now = clock_mono_ms;
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < rl->nslots; i++)
        free(rl->slots[i].key);
    pthread_mutex_destroy(&rl->lock);
    free(rl->slots);
    free(rl);
}

void ratelimit_set_clock(struct ratelimit *rl, int64_t (*now_ms)(void))
{
    rl->now = now_ms;
}

/* FNV-1a from a random basis, finished with a 64-bit mix so every bit of the key reaches the low bits. */
static uint64_t hash(uint64_t seed, const char *s)
{
    uint64_t h = fnv1a(s, strlen(s), seed);

    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}

/* Linear probing over a short run; the victim when no slot matches is a free or the oldest one in the run. */
#define PROBE 16

/* key's slot (lock held); NULL when absent and !create. A new slot starts at now with no count. */
static struct slot *slot_of(struct ratelimit *rl, const char *key, int64_t now, bool create)
{
    size_t i = (size_t)hash(rl->seed, key) & (rl->nslots - 1);
    struct slot *victim = NULL;

    for (int p = 0; p < PROBE; p++) {
        struct slot *c = &rl->slots[(i + (size_t)p) & (rl->nslots - 1)];
        if (c->key && strcmp(c->key, key) == 0)
            return c;
        if (!victim || (victim->key && (!c->key || c->start < victim->start)))
            victim = c;
    }
    if (!create)
        return NULL;
    free(victim->key);
    victim->key = xstrdup(key);
    victim->start = now;
    victim->count = 0;
    return victim;
}

static int seconds_until(int64_t at, int64_t now)
{
    return (int)((at - now + 999) / 1000);
}

bool ratelimit_hit(struct ratelimit *rl, const char *key, int limit, int *retry_after)
{
    struct slot *s;
    int64_t now;
    bool allowed;

    pthread_mutex_lock(&rl->lock);
    now = rl->now();
    s = slot_of(rl, key, now, true);
    if (now - s->start >= rl->window_ms) {
        s->start = now;
        s->count = 0;
    }
    allowed = s->count < limit;
    if (allowed)
        s->count++;
    *retry_after = seconds_until(s->start + rl->window_ms, now);
    pthread_mutex_unlock(&rl->lock);
    return allowed;
}

bool ratelimit_backoff(struct ratelimit *rl, const char *key, int allowance, int *retry_after)
{
    struct slot *s;
    int64_t now, wait = 0;
    bool allowed;

    pthread_mutex_lock(&rl->lock);
    now = rl->now();
    s = slot_of(rl, key, now, true);
    if (now - s->start >= rl->window_ms * RATELIMIT_BACKOFF_FORGET)
        s->count = 0;
    if (s->count >= allowance) {
        int64_t factor = 1;
        for (int d = s->count - allowance; d > 0 && factor < RATELIMIT_BACKOFF_MAX; d--)
            factor *= 2;
        wait = rl->window_ms * factor;
    }
    allowed = now - s->start >= wait;
    if (allowed) {
        s->count++;
        s->start = now;
    }
    *retry_after = allowed ? 0 : seconds_until(s->start + wait, now);
    pthread_mutex_unlock(&rl->lock);
    return allowed;
}

void ratelimit_forget(struct ratelimit *rl, const char *key)
{
    struct slot *s;

    pthread_mutex_lock(&rl->lock);
    s = slot_of(rl, key, 0, false);
    if (s) {
        free(s->key);
        s->key = NULL;
        s->count = 0;
    }
    pthread_mutex_unlock(&rl->lock);
}
