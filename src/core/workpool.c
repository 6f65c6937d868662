#include "core/workpool.h"

#include <pthread.h>

#include "core/log.h"
#include "core/thread.h"
#include "core/xmalloc.h"

struct job {
    workpool_fn fn;
    void *arg;
};

struct workpool {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct job *ring; /* queue_max slots */
    int head, count, queue_max;
    bool stopping;
    int nthreads;
    pthread_t *threads;
    char name[12]; /* the threads' name: "slw-" + this */
};

static void *worker(void *arg)
{
    struct workpool *p = arg;

    thread_name(p->name);
    for (;;) {
        struct job j;
        pthread_mutex_lock(&p->lock);
        while (p->count == 0 && !p->stopping)
            pthread_cond_wait(&p->ready, &p->lock);
        if (p->count == 0) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        j = p->ring[p->head];
        p->head = (p->head + 1) % p->queue_max;
        p->count--;
        pthread_mutex_unlock(&p->lock);
        j.fn(j.arg);
    }
}

struct workpool *workpool_new(const char *name, int threads, int queue_max)
{
    struct workpool *p = xcalloc(1, sizeof *p);

    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    p->queue_max = queue_max;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ring = xcalloc((size_t)queue_max, sizeof *p->ring);
    p->threads = xcalloc((size_t)threads, sizeof *p->threads);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            log_error("workpool %s: cannot start thread %d", name, i);
            break;
        }
        p->nthreads++;
    }
    return p;
}

int workpool_submit(struct workpool *p, workpool_fn fn, void *arg)
{
    int rc = -1;

    pthread_mutex_lock(&p->lock);
    if (!p->stopping && p->count < p->queue_max && p->nthreads > 0) {
        p->ring[(p->head + p->count) % p->queue_max] = (struct job){fn, arg};
        p->count++;
        rc = 0;
        pthread_cond_signal(&p->ready);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void workpool_free(struct workpool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->ready);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->ready);
    free(p->threads);
    free(p->ring);
    free(p);
}
