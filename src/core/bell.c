#include "core/bell.h"

#include <pthread.h>

static pthread_mutex_t bell_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    bell_fn fn;
    void *ctx;
} listeners[BELL_LISTENERS_MAX];

bool bell_listen(bell_fn fn, void *ctx)
{
    bool added = false;

    pthread_mutex_lock(&bell_lock);
    for (size_t i = 0; i < ARRAY_LEN(listeners) && !added; i++)
        if (!listeners[i].fn) {
            listeners[i].fn = fn;
            listeners[i].ctx = ctx;
            added = true;
        }
    pthread_mutex_unlock(&bell_lock);
    return added;
}

void bell_unlisten(bell_fn fn, void *ctx)
{
    pthread_mutex_lock(&bell_lock);
    for (size_t i = 0; i < ARRAY_LEN(listeners); i++)
        if (listeners[i].fn == fn && listeners[i].ctx == ctx)
            listeners[i].fn = NULL;
    pthread_mutex_unlock(&bell_lock);
}

void bell_ring(const char *key)
{
    pthread_mutex_lock(&bell_lock);
    for (size_t i = 0; i < ARRAY_LEN(listeners); i++)
        if (listeners[i].fn)
            listeners[i].fn(listeners[i].ctx, key);
    pthread_mutex_unlock(&bell_lock);
}
