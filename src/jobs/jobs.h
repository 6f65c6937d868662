/*
 * jobs.h: the workflow engine, a job queue in the database whose jobs are
 * step machines (docs/internals/jobs.md has the states in a picture).
 *
 * Any slipway process sharing the database may run a job. A worker (a pool
 * per process) claims a due job in one transaction (SELECT ... FOR UPDATE
 * SKIP LOCKED on PostgreSQL and MySQL; SQLite's write lock serializes
 * claims), setting it RUNNING with a lease of its own (the process and the
 * claim), which a keeper thread renews while the process holds the job. A
 * job is a step function run again and again: it reads the job's state
 * (step, data, secrets), does one thing, and says what comes next. Between
 * steps the state is saved in the job's row, so a process killed in the
 * middle of a workflow is resumed at the step it was on, by any process,
 * once the lease has run out (attempt 2 of that step). Every write of a
 * running job is a compare-and-swap on its lease: a process that lost a job
 * (its lease ran out, or it was cancelled) cannot overwrite what the new
 * owner does.
 *
 * A step may therefore run more than once (never at the same time), so what
 * it does toward the outside must be idempotent: job_key() gives each step a
 * stable key to send as the provider's idempotency key, or to find what an
 * earlier run of the step did (read before write). A step's effect in the
 * database is made once by writing it in the same transaction as the job's
 * progress (job_done_in).
 *
 * Waiting holds no thread: job_wait() makes the job a row that waits for
 * jobs_signal(key) until a deadline; job_wait_children() for the jobs it
 * created (job_child); job_park() leaves it in memory, holding no worker,
 * while something asynchronous (a provider call on the outbound loop) runs,
 * until job_resume().
 */
#ifndef SLIPWAY_JOBS_H
#define SLIPWAY_JOBS_H

#include <jansson.h>

#include "core/common.h"
#include "core/err.h"
#include "store/store.h"

struct jobs;
struct job_priv;
struct keyring;

#define JOB_KIND_SIZE 65
#define JOB_KEY_SIZE 64
#define JOB_EVENT_KEY_SIZE 256
#define JOB_NO_DEADLINE 0 /* job_wait: until the signal, however long */

/* A claimed job, as its step function sees it; valid until the step has said what comes next. */
struct job {
    /* Read-only to steps. */
    char id[UUID_SIZE];
    char kind[JOB_KIND_SIZE];
    char tenant[UUID_SIZE]; /* "" for a job of no tenant */
    const json_t *payload;  /* the input: an object, never a secret */
    int step;               /* the step to run: 0 first */
    int attempt;            /* runs of this step begun: 1 the first time, 2 after a crash or a failure */
    int cycle;              /* a recurring job's runs finished before this one */
    const json_t *event;    /* what jobs_signal sent, when a signal woke the job; else NULL */
    bool timed_out;         /* woken by the deadline of job_wait, without the event */

    /* The state, saved in the row by job_next, job_wait, job_wait_children and job_checkpoint. */
    json_t *data;    /* an object: facts later steps need (never a secret) */
    json_t *secrets; /* an object: credentials obtained on the way (encrypted in the row, wiped when freed) */

    /* The result: set (stolen) before job_done; kept in the row and handed to the waiter. Never a secret. */
    json_t *output;

    struct job_priv *priv; /* the engine's */
};

struct job_kind {
    const char *name;
    /*
     * Runs j's current step, on a worker thread: it reads j, does one thing,
     * and ends with exactly one of job_next, job_done, job_fail, job_wait,
     * job_wait_children or job_park. After that call it must not touch j:
     * another thread may already run the job's next step.
     */
    void (*step)(void *ctx, struct job *j);
    void *ctx;
};

/* ---- what a step ends with ---- */

/* Saves the state and runs step next (on this process, at once). */
void job_next(struct job *j, int step);
/* Finished: DONE with j->output (a recurring job is queued again for its next run, at step 0). */
void job_done(struct job *j);
/*
 * Failed: the step runs again after a backoff (10 s doubling, at most an
 * hour) from the state last saved, until the job's max attempts, then the
 * job is FAILED. err's message (never a secret) is recorded; the waiter gets
 * err itself.
 */
void job_fail(struct job *j, const struct err *err);
/*
 * Saves the state and waits, holding nothing, for jobs_signal(event_key) or
 * until deadline_ms (wall clock; JOB_NO_DEADLINE: none): then, on whichever
 * process claims it, step runs with j->event set, or with j->timed_out. A
 * signal sent before the job waits is kept for it.
 */
void job_wait(struct job *j, int step, const char *event_key, int64_t deadline_ms);
/* Saves the state and waits until every child (job_child) has finished: then step runs (job_children reads them). */
void job_wait_children(struct job *j, int step);
/*
 * The job holds no worker until job_resume (from any thread): its step runs
 * again then, with what was attached (job_attached). The job stays this
 * process's (its lease renewed) meanwhile.
 */
void job_park(struct job *j);

/* ---- while parked (any thread) ---- */

/* The parked job's step runs again on a worker. */
void job_resume(struct job *j);
/* Hangs p on the job: freed with free_fn once the step after job_resume has ended (or the job is dropped). */
void job_attach(struct job *j, void *p, void (*free_fn)(void *));
void *job_attached(const struct job *j);
/*
 * Saves the parked job's state (data, secrets) in its row, on a worker, then
 * calls then(arg, saved) there. saved is false when the job is no longer
 * this process's (taken over, cancelled, or the process is stopping): then
 * whatever it was doing must stop, and end with job_resume as usual (the
 * engine drops the job then).
 */
void job_checkpoint(struct job *j, void (*then)(void *arg, bool saved), void *arg);

/* ---- for steps ---- */

/* "<id>.<cycle>.<step>": the same every time this step of this run of the job runs (an idempotency key). */
void job_key(const struct job *j, char out[JOB_KEY_SIZE]);

struct job_result;
typedef void (*job_done_fn)(const struct job_result *r, void *ctx);

struct job_new {
    const char *kind;
    const char *tenant;     /* NULL: no tenant */
    const json_t *payload;  /* borrowed; NULL: {} */
    const json_t *secrets;  /* borrowed; NULL: none. What the job starts with in j->secrets (encrypted in its row) */
    const char *dedupe_key; /* NULL: none; enqueuing a second job with the key creates none, and answers the first's id */
    int64_t not_before_ms;  /* 0: now */
    int max_attempts;       /* 0: 5 */
    bool here;              /* claimed by this process as it is created, to run at once (someone here waits for it) */
    job_done_fn done;       /* may be NULL; see jobs_enqueue (not for children) */
    void *ctx;
};

/* A child of j, created (with its payload copied) in the same transaction as j's next save. */
void job_child(struct job *j, const struct job_new *n);
/*
 * j's children, [{id, kind, state, payload, output, error}], by creation time
 * (those of one save in no set order: let their payloads say which is
 * which). Caller owns *out.
 */
enum err_code job_children(struct job *j, json_t **out, struct err *err);
/*
 * Writes what job_done writes, inside the caller's transaction on c, so that
 * the step's own effect in the database and the job's end commit together.
 * Once that transaction has committed the step ends with job_done as usual;
 * if it failed, with job_fail.
 */
enum err_code job_done_in(struct store_conn *c, struct job *j, struct err *err);

/* ---- the engine ---- */

struct jobs_options {
    int lease_seconds;    /* a claim lasts this long unless renewed (renewed every third of it) */
    int poll_ms;          /* how often an idle process looks for due jobs */
    int workers;          /* threads that run steps */
    int retention_s;      /* finished jobs (and signals nobody waited for) are deleted this long after */
    struct keyring *keys; /* encrypts jobs' secrets; NULL or without a current key: a step cannot keep secrets */
};

/* Starts the workers and the keeper; kinds (not copied) and opt->keys must outlive the engine. */
struct jobs *jobs_start(struct store *s, const struct job_kind *kinds, size_t nkinds, const struct jobs_options *opt);
/*
 * Stops claiming and joins the threads (a step under way ends first); every
 * job this process holds is given back at once (not counted as an attempt)
 * and every waiter is told. A parked job is dropped when it is resumed, so
 * stop what resumes them (the outbound loop) before jobs_free.
 */
void jobs_stop(struct jobs *q);
void jobs_free(struct jobs *q);

/* How a job ended, for its waiter. */
struct job_result {
    const char *id;
    const char *state;     /* "DONE", "FAILED" or "CANCELLED"; NULL when unknown (the process is stopping) */
    const json_t *output;  /* DONE: the job's output (borrowed; may be NULL) */
    const struct err *err; /* ERR_OK when DONE; why it failed (in full when it failed here) */
};

/*
 * Creates a job (kind, tenant, payload, dedupe key, not before) and puts its
 * id in id. With n->done, done(result, ctx) is called exactly once in this
 * process: when the job finishes, here or (seen in its row) elsewhere, or is
 * cancelled, or when this process stops. Nothing is called when enqueuing
 * fails.
 */
enum err_code jobs_enqueue(struct jobs *q, const struct job_new *n, char id[UUID_SIZE], struct err *err);
/*
 * Creates a job (never here, n->done not used) inside the caller's
 * transaction on c, so that it exists exactly when what the transaction
 * writes does (a release and its kickoff). Once that has committed,
 * jobs_nudge(q) has this process look for it at once.
 */
enum err_code jobs_enqueue_in(struct store_conn *c, struct jobs *q, const struct job_new *n, char id[UUID_SIZE], struct err *err);
void jobs_nudge(struct jobs *q);
/*
 * Cancels a job that has not finished (tenant: NULL, or the tenant it must
 * be of), and its unfinished children: CANCELLED, at once. A step under way
 * elsewhere runs to its end, but its result is not written. ERR_NOT_FOUND
 * when there is no such unfinished job.
 */
enum err_code jobs_cancel(struct jobs *q, const char *tenant, const char *id, struct err *err);
/*
 * Wakes every job waiting for event_key with payload (borrowed; NULL for
 * none), through the database: any process may send it. When no job waits
 * yet, the signal is kept for the first that does (a later signal of the
 * same key replaces it). jobs_signal_in does the same inside the caller's
 * transaction on c.
 */
enum err_code jobs_signal(struct jobs *q, const char *event_key, const json_t *payload, struct err *err);
enum err_code jobs_signal_in(struct store_conn *c, const char *event_key, const json_t *payload, struct err *err);

/*
 * Inside the caller's transaction on c: every job WAITING for event_key ends
 * DONE with output (borrowed; NULL for none), its parent told as job_done
 * tells it; *finished says how many. For a sender that has done, in that
 * same transaction, all the waiting step would have done with the signal (a
 * build webhook applied as it is received), so that the job's end commits
 * with its effect and no worker claims the job only to end it. A job not
 * waiting at that moment (running, queued) is left as it is: the sender
 * signals it instead (jobs_signal_in), and its step finds the work done.
 * Not for recurring jobs (none is ended).
 */
enum err_code jobs_finish_waiting_in(struct store_conn *c, const char *event_key, const json_t *output, int64_t *finished,
                                     struct err *err);

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
