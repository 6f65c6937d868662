/*
 * lookup.c: one-row reads that share round trips to the database server.
 *
 * Every request reads its token with one statement. Run as usual, each
 * read costs a round trip of its own: the request's thread sends, sleeps
 * until the server answers, wakes; the server's backend wakes, reads,
 * answers, sleeps; and on loopback or a LAN most of that time is spent in
 * the kernel, not in the query. Here the reads of all threads queue up
 * instead, and a few batching threads each take whatever is queued and
 * send it as one pipeline (driver->lookup_batch): one write, one wake-up
 * of the backend and one read for the whole batch. No timer: a batcher
 * that is idle sends a lone read at once, and reads that arrive while
 * every batcher waits on the server go together in the next batch.
 *
 * A batcher keeps its own connection, outside the pool. Before each batch
 * it checks the connection as the pool does (driver->alive) and replaces
 * a dead one; a batch that fails on a transient error (the server went
 * away mid-way) runs once more on a new connection before its reads fail.
 */
#include "store/lookup.h"

#include <pthread.h>
#include <unistd.h>

#include "core/log.h"
#include "core/thread.h"
#include "core/xmalloc.h"

/*
 * Batching threads, each with a connection of its own: one per four cores.
 * Fewer batchers make bigger batches; on two cores one batcher carried
 * about 15% more reads than two did (docs/internals/store.md).
 */
#define CORES_PER_BATCHER 4
#define BATCHERS_MAX 16

struct waiter {
    struct store_lookup_item *item;
    struct waiter *next;
    pthread_cond_t done_cond;
    bool done;
};

struct lookups {
    const struct store_driver *driver;
    const char *target; /* the store's; outlives the batchers */
    const struct store_options *opt;
    pthread_mutex_t lock;
    pthread_cond_t work;
    struct waiter *head, **tail; /* queued reads, oldest first */
    bool stopping;
    pthread_t threads[BATCHERS_MAX];
    int nthreads;
};

static void fail(struct store_lookup_item *item, const char *why)
{
    item->rc = -1;
    item->err.transient = true;
    err_set(&item->err, ERR_UNAVAILABLE, "%s", why);
}

/*
 * Runs one batch on *conn, connecting or reconnecting first as needed. The
 * reads that failed transiently (the connection died mid-way, or another
 * read's failure made the server skip them) run once more, without those
 * that succeeded or failed for good.
 */
static void run_batch(struct lookups *l, void **conn, struct store_lookup_item **items, size_t n)
{
    struct store_lookup_item *again[STORE_LOOKUP_BATCH];
    size_t m = 0;

    for (int attempt = 0; attempt < 2 && n > 0; attempt++) {
        struct err err;

        if (*conn && l->driver->alive && !l->driver->alive(*conn)) {
            l->driver->disconnect(*conn);
            *conn = NULL;
        }
        err_clear(&err);
        if (!*conn && l->driver->connect(l->target, l->opt, conn, &err)) {
            *conn = NULL;
            for (size_t i = 0; i < n; i++)
                fail(items[i], "the database is unavailable; try again");
            return;
        }
        for (size_t i = 0; i < n; i++) { /* failed until the driver has its answer */
            memset(items[i]->row, 0, offsetof(struct store_row, buf));
            err_clear(&items[i]->err);
            fail(items[i], "the database is unavailable; try again");
        }
        l->driver->lookup_batch(*conn, items, n);
        m = 0;
        for (size_t i = 0; i < n; i++)
            if (items[i]->rc < 0 && items[i]->err.transient)
                again[m++] = items[i];
        memcpy(items, again, m * sizeof *items); /* items is the batcher's own array */
        n = m;
    }
}

static void *batcher(void *arg)
{
    struct lookups *l = arg;
    struct waiter *batch[STORE_LOOKUP_BATCH];
    struct store_lookup_item *items[STORE_LOOKUP_BATCH];
    void *conn = NULL;

    thread_name("db-lookup");
    pthread_mutex_lock(&l->lock);
    for (;;) {
        size_t n = 0;
        while (!l->head && !l->stopping)
            pthread_cond_wait(&l->work, &l->lock);
        if (!l->head)
            break; /* stopping, and nothing left to run */
        for (; l->head && n < STORE_LOOKUP_BATCH; n++) {
            batch[n] = l->head;
            items[n] = l->head->item;
            l->head = l->head->next;
        }
        if (!l->head)
            l->tail = &l->head;
        pthread_mutex_unlock(&l->lock);
        run_batch(l, &conn, items, n);
        pthread_mutex_lock(&l->lock);
        for (size_t i = 0; i < n; i++) {
            batch[i]->done = true;
            pthread_cond_signal(&batch[i]->done_cond);
        }
    }
    pthread_mutex_unlock(&l->lock);
    if (conn)
        l->driver->disconnect(conn);
    return NULL;
}

struct lookups *lookups_start(const struct store_driver *d, const char *target, const struct store_options *opt)
{
    struct lookups *l;

    if (!d->lookup_batch)
        return NULL;
    l = xcalloc(1, sizeof *l);
    l->driver = d;
    l->target = target;
    l->opt = opt;
    l->tail = &l->head;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->work, NULL);
    long want = sysconf(_SC_NPROCESSORS_ONLN) / CORES_PER_BATCHER;
    want = want < 1 ? 1 : want > BATCHERS_MAX ? BATCHERS_MAX : want;
    for (long i = 0; i < want; i++)
        if (pthread_create(&l->threads[l->nthreads], NULL, batcher, l) == 0)
            l->nthreads++;
    if (l->nthreads == 0) {
        log_warn("store: no thread for batched lookups; each runs on its own");
        lookups_stop(l);
        return NULL;
    }
    return l;
}

void lookups_stop(struct lookups *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->lock);
    for (int i = 0; i < l->nthreads; i++)
        pthread_join(l->threads[i], NULL);
    pthread_cond_destroy(&l->work);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

int lookups_run(struct lookups *l, struct store_lookup_item *item)
{
    struct waiter w = {.item = item};

    pthread_cond_init(&w.done_cond, NULL);
    pthread_mutex_lock(&l->lock);
    *l->tail = &w;
    l->tail = &w.next;
    pthread_cond_signal(&l->work);
    while (!w.done)
        pthread_cond_wait(&w.done_cond, &l->lock);
    pthread_mutex_unlock(&l->lock);
    pthread_cond_destroy(&w.done_cond);
    return item->rc;
}
