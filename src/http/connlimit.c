#include "http/connlimit.h"

#include <assert.h>
#include <netinet/in.h>
#include <pthread.h>

#include "core/fnv.h"
#include "core/xmalloc.h"

/*
 * Addresses are 16-byte keys (IPv4 as ::ffff:a.b.c.d, IPv6 cut to its /64)
 * in an open-addressing table with linear probing. A slot is in use while
 * its count is above zero; deletion shifts the following entries back, so
 * no tombstones build up under a stream of new addresses. The table holds
 * at most max keys (each holds a connection) in at least twice as many
 * slots, so a probe always ends.
 */
struct slot {
    uint8_t key[16];
    int count; /* 0: free */
};

struct connlimit {
    pthread_mutex_t lock;
    int max, per_client, open;
    uint64_t refused;
    size_t mask; /* slots - 1; slots is a power of two */
    struct slot *slots;
};

struct connlimit *connlimit_new(int max, int per_client)
{
    struct connlimit *cl = xcalloc(1, sizeof *cl);
    size_t n = 16;

    while (n < 2 * (size_t)max)
        n *= 2;
    pthread_mutex_init(&cl->lock, NULL);
    cl->max = max;
    cl->per_client = per_client;
    cl->mask = n - 1;
    cl->slots = xcalloc(n, sizeof *cl->slots);
    return cl;
}

void connlimit_free(struct connlimit *cl)
{
    if (!cl)
        return;
    pthread_mutex_destroy(&cl->lock);
    free(cl->slots);
    free(cl);
}

/* The key of addr; false for a family that has no address (a Unix socket): those count in all only. */
static bool key_of(const struct sockaddr *addr, uint8_t key[16])
{
    memset(key, 0, 16);
    if (addr->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)(const void *)addr)->sin_addr, 4);
        return true;
    }
    if (addr->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr, 8);
        return true;
    }
    return false;
}

static size_t hash(const uint8_t key[16])
{
    uint64_t h = fnv1a(key, 16, 0);

    return (size_t)(h ^ (h >> 32));
}

/* The slot holding key, or the free slot where it would go. */
static size_t find(const struct connlimit *cl, const uint8_t key[16])
{
    size_t i = hash(key) & cl->mask;
    while (cl->slots[i].count > 0 && memcmp(cl->slots[i].key, key, 16) != 0)
        i = (i + 1) & cl->mask;
    return i;
}

/* Frees slot i and moves back the entries of its probe run that would no longer be found. */
static void remove_at(struct connlimit *cl, size_t i)
{
    size_t j = i;

    cl->slots[i].count = 0;
    for (;;) {
        size_t home;
        j = (j + 1) & cl->mask;
        if (cl->slots[j].count == 0)
            return;
        home = hash(cl->slots[j].key) & cl->mask;
        /* Entry j stays if its home lies cyclically in (i, j]. */
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        cl->slots[i] = cl->slots[j];
        cl->slots[j].count = 0;
        i = j;
    }
}

bool connlimit_admit(struct connlimit *cl, const struct sockaddr *addr)
{
    uint8_t key[16];
    bool keyed = key_of(addr, key), ok;

    pthread_mutex_lock(&cl->lock);
    ok = cl->open < cl->max;
    if (ok && keyed) {
        struct slot *s = &cl->slots[find(cl, key)];
        ok = cl->per_client == 0 || s->count < cl->per_client;
        if (ok && s->count++ == 0)
            memcpy(s->key, key, 16);
    }
    if (ok)
        cl->open++;
    else
        cl->refused++;
    pthread_mutex_unlock(&cl->lock);
    return ok;
}

void connlimit_release(struct connlimit *cl, const struct sockaddr *addr)
{
    uint8_t key[16];
    bool keyed = addr && key_of(addr, key);

    pthread_mutex_lock(&cl->lock);
    assert(cl->open > 0);
    cl->open--;
    if (keyed) {
        size_t i = find(cl, key);
        assert(cl->slots[i].count > 0);
        if (--cl->slots[i].count == 0)
            remove_at(cl, i);
    }
    pthread_mutex_unlock(&cl->lock);
}

int connlimit_open(struct connlimit *cl)
{
    int n;
    pthread_mutex_lock(&cl->lock);
    n = cl->open;
    pthread_mutex_unlock(&cl->lock);
    return n;
}

uint64_t connlimit_take_refused(struct connlimit *cl)
{
    uint64_t n;
    pthread_mutex_lock(&cl->lock);
    n = cl->refused;
    cl->refused = 0;
    pthread_mutex_unlock(&cl->lock);
    return n;
}
