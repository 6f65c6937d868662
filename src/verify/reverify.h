/*
 * reverify.h: the periodic re-verification of VALID integrations
 * (docs/verification.md), as a recurring job of the workflow engine
 * (jobs.h).
 *
 * Every REVERIFY_EVERY_S one process (whichever claims the job) finds the
 * VALID integrations whose lastVerifiedAt is older than
 * SLIPWAY_REVERIFY_INTERVAL and makes each a "verify" job, its child, in
 * one transaction; any process may run those. The run ends when every
 * child has ended, each verdict recorded (and audited) like any other.
 * Without a verdict (the provider could not be reached) nothing changes,
 * and the next run tries again.
 */
#ifndef SLIPWAY_REVERIFY_H
#define SLIPWAY_REVERIFY_H

#include "core/err.h"
#include "jobs/jobs.h"
#include "store/store.h"

#define REVERIFY_JOB "reverify"
#define REVERIFY_EVERY_S 60

/* The job's step function; ctx is a struct verify_env (verify.h). */
void reverify_step(void *ctx, struct job *j);

#endif
