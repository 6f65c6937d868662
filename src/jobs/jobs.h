/*
 * jobs.h: the job queue in the database (docs/internals/jobs.md).
 *
 * Any slipway process sharing the database may run a job; each job runs
 * once at a time, and to the end once. A worker thread claims a due job in
 * one transaction (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL and
 * MySQL; SQLite's write lock serializes claims), setting it RUNNING with a
 * lease in its name; a second thread renews the lease while the job runs.
 * A job whose process died keeps its lease only until it expires: then it
 * is due again and another process runs it (attempt 2). So a job's run
 * function must be idempotent. Finishing is a compare-and-swap on the
 * lease owner, so a process that lost its lease cannot overwrite the
 * result of the one that took over.
 *
 * A failed job is retried later (exponential backoff) until maxAttempts,
 * then FAILED; a recurring job (every_seconds > 0) is queued again that
 * much after each run, whatever its outcome.
 */
#ifndef SLIPWAY_JOBS_H
#define SLIPWAY_JOBS_H

#include "core/common.h"
#include "core/err.h"
#include "store/store.h"

struct jobs;

/* A claimed job, as its run function sees it (valid during the run only). */
struct job {
    char id[UUID_SIZE];
    char tenant[UUID_SIZE]; /* "" for a job of no tenant */
    const char *payload;    /* JSON text, or NULL */
    int attempt;            /* 1 the first time */
    struct jobs *queue;     /* for jobs_stopping() */
};

struct job_kind {
    const char *name;
    /* Does the work. ERR_OK finishes the job; an error is recorded (its message, never a secret) and retried. */
    enum err_code (*run)(void *ctx, const struct job *job, struct err *err);
    void *ctx;
};

struct jobs_options {
    int lease_seconds; /* a claim lasts this long unless renewed (renewed every third of it) */
    int poll_ms;       /* how often an idle worker looks for due jobs */
};

/* Starts the worker and the lease keeper; kinds (not copied) must outlive the queue. */
struct jobs *jobs_start(struct store *s, const struct job_kind *kinds, size_t nkinds, const struct jobs_options *opt);
/* Stops both threads; a job still running is asked to stop (jobs_stopping) and its lease given back. */
void jobs_stop(struct jobs *q);
/* True once jobs_stop was called: a long run function should return soon (with an error). */
bool jobs_stopping(struct jobs *q);

/*
 * Makes sure the recurring job `kind` (one row, dedupe key = kind) exists,
 * and with due_now asks for a run now rather than at its next time. Each
 * process may call it at start-up: the row is created once.
 */
enum err_code jobs_ensure_recurring(struct store_conn *c, const char *kind, int every_seconds, bool due_now, struct err *err);

struct metrics_out;
/*
 * Appends the queue's families to m: this process's runs by kind and
 * outcome with their durations (q may be NULL), and, when c is given, the
 * jobs in the database by kind and state (QUEUED, RUNNING, FAILED) with how
 * long the oldest due one has waited past its time.
 */
void jobs_metrics_write(struct jobs *q, struct store_conn *c, struct metrics_out *m);

#endif
