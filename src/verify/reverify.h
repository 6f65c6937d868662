/*
 * reverify.h: the periodic re-verification of VALID integrations
 * (docs/verification.md), as a recurring job of the job queue (jobs.h).
 *
 * Every REVERIFY_EVERY_S one process (whichever claims the job) verifies
 * the VALID integrations whose lastVerifiedAt is older than
 * SLIPWAY_REVERIFY_INTERVAL, and the job ends when every verdict is
 * recorded (and audited) like any other. The job's lease is what keeps two
 * processes from checking the same integration: if the one running it
 * dies, the job runs again elsewhere, and integrations still without a
 * verdict are still overdue. Without a verdict (the provider could not be
 * reached) nothing changes, and the next run tries again.
 */
#ifndef SLIPWAY_REVERIFY_H
#define SLIPWAY_REVERIFY_H

#include "core/err.h"
#include "jobs/jobs.h"
#include "store/store.h"

#define REVERIFY_JOB "reverify"
#define REVERIFY_EVERY_S 60

/* The job's run function; ctx is the struct app. */
enum err_code reverify_run(void *ctx, const struct job *job, struct err *err);
/* Creates the recurring job if no process has, and asks for a run now (each process, at start-up). */
enum err_code reverify_schedule(struct store *s, struct err *err);

#endif
