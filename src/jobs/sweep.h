/*
 * sweep.h: one pass of a recurring sweep (a kind in main.c's recurring
 * table): the rows a query selects as due, each handed to `due` in a
 * transaction of its own (it queues the row's deduplicated job), then the
 * pass ends. The repository sync, the OAuth token refresh and the store
 * health check each sweep so.
 *
 * A row whose transaction fails stops the pass: the job fails and runs
 * again after its backoff, when the rows it did not reach are still due
 * (the query selects by state, not by what a pass did). A pass run before
 * main.c handed the engine over (jobs NULL) fails the same way.
 */
#ifndef SLIPWAY_SWEEP_H
#define SLIPWAY_SWEEP_H

#include "jobs/jobs.h"
#include "store/store.h"

#define SWEEP_COLS_MAX 4

struct sweep {
    const char *name; /* "the repository sweep": in the error of a pass run too early */
    struct store *store;
    struct jobs *jobs;
    const char *sql; /* the due rows: ncols (at most SWEEP_COLS_MAX) columns, none NULL, read as text */
    const struct store_val *args;
    size_t nargs;
    int ncols;
    /* In the row's transaction: cols[i] is column i's text; j is the sweep's job (its cycle names the pass). */
    enum err_code (*due)(struct store_conn *c, const void *ctx, const struct job *j, const char *const *cols, struct err *err);
    const void *ctx;
    const struct sweep *next; /* another query of the same pass, its rows handed to its own due after these; or NULL */
};

/* Runs one pass as j's step: j ends (done, or failed with why) before this returns. */
void sweep_pass(const struct sweep *s, struct job *j);

#endif
