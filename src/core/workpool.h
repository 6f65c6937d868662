/*
 * workpool.h: a fixed set of threads and a bounded queue of jobs.
 *
 * Slow work (password hashing, later outbound calls that cannot use the
 * event loop) runs here instead of on an HTTP worker. A full queue refuses
 * new jobs (the caller answers 503) rather than letting the backlog grow.
 */
#ifndef SLIPWAY_WORKPOOL_H
#define SLIPWAY_WORKPOOL_H

#include "core/common.h"

struct workpool;

typedef void (*workpool_fn)(void *arg);

struct workpool *workpool_new(const char *name, int threads, int queue_max);
/* Queues fn(arg); returns 0, or -1 when the queue is full or the pool is stopping. */
int workpool_submit(struct workpool *p, workpool_fn fn, void *arg);
/* Runs every queued job, joins the threads and frees the pool. */
void workpool_free(struct workpool *p);

#endif
