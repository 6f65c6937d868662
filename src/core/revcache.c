#include "core/revcache.h"

#include <pthread.h>

#include "core/fnv.h"
#include "core/xmalloc.h"

#define KEY_MAX 64

struct slot {
    pthread_mutex_t lock;
    char key[KEY_MAX]; /* "" when empty */
    int64_t revision;
    char *text; /* owned */
    size_t len;
};

struct revcache {
    size_t n;
    struct slot *slots;
};

static struct slot *slot_of(struct revcache *c, const char *key)
{
    return &c->slots[fnv1a(key, strlen(key), 0) % c->n];
}

struct revcache *revcache_new(size_t slots)
{
    struct revcache *c = xcalloc(1, sizeof *c);

    c->n = slots ? slots : 1;
    c->slots = xcalloc(c->n, sizeof *c->slots);
    for (size_t i = 0; i < c->n; i++)
        pthread_mutex_init(&c->slots[i].lock, NULL);
    return c;
}

void revcache_free(struct revcache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        pthread_mutex_destroy(&c->slots[i].lock);
        free(c->slots[i].text);
    }
    free(c->slots);
    free(c);
}

char *revcache_get(struct revcache *c, const char *key, int64_t revision, struct arena *a, size_t *len)
{
    struct slot *s = slot_of(c, key);
    char *copy = NULL;

    pthread_mutex_lock(&s->lock);
    if (s->text && s->revision == revision && strcmp(s->key, key) == 0) {
        copy = arena_memdup(a, s->text, s->len + 1);
        *len = s->len;
    }
    pthread_mutex_unlock(&s->lock);
    return copy;
}

void revcache_put(struct revcache *c, const char *key, int64_t revision, const char *text, size_t len)
{
    struct slot *s = slot_of(c, key);
    char *copy;

    if (strlen(key) >= KEY_MAX)
        return;
    copy = xmalloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    pthread_mutex_lock(&s->lock);
    if (s->text && strcmp(s->key, key) == 0 && s->revision >= revision) {
        pthread_mutex_unlock(&s->lock);
        free(copy);
        return;
    }
    free(s->text);
    snprintf(s->key, sizeof s->key, "%s", key);
    s->revision = revision;
    s->text = copy;
    s->len = len;
    pthread_mutex_unlock(&s->lock);
}
