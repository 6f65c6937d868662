#include "core/ratelimit.h"

#include <pthread.h>

#include "core/clock.h"
#include "core/xmalloc.h"

struct slot {
    char key[96]; /* empty: free */
    int64_t window_start;
    int count;
};

struct ratelimit {
    pthread_mutex_t lock;
    int64_t window_ms;
    size_t nslots; /* a power of two */
    struct slot *slots;
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
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl->slots);
    free(rl);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Linear probing over a short run; the victim when no slot matches is an expired or the oldest one in the run. */
#define PROBE 16

bool ratelimit_hit(struct ratelimit *rl, const char *key, int limit, int *retry_after)
{
    int64_t now = clock_mono_ms();
    size_t i = (size_t)fnv1a(key) & (rl->nslots - 1);
    struct slot *s = NULL, *victim = NULL;
    bool allowed;

    pthread_mutex_lock(&rl->lock);
    for (int p = 0; p < PROBE; p++) {
        struct slot *c = &rl->slots[(i + (size_t)p) & (rl->nslots - 1)];
        if (c->key[0] && strncmp(c->key, key, sizeof c->key) == 0) {
            s = c;
            break;
        }
        if (!victim || !c->key[0] || c->window_start < victim->window_start)
            victim = c;
    }
    if (!s) {
        s = victim;
        snprintf(s->key, sizeof s->key, "%s", key);
        s->window_start = now;
        s->count = 0;
    }
    if (now - s->window_start >= rl->window_ms) {
        s->window_start = now;
        s->count = 0;
    }
    allowed = s->count < limit;
    if (allowed)
        s->count++;
    *retry_after = (int)((s->window_start + rl->window_ms - now + 999) / 1000);
    pthread_mutex_unlock(&rl->lock);
    return allowed;
}
