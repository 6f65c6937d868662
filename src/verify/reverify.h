/*
 * reverify.h: the periodic re-verification of VALID integrations
 * (docs/verification.md). A thread wakes every minute (and at start-up),
 * claims integrations whose lastVerifiedAt is older than the interval with
 * a compare-and-swap on lastVerifiedAt (so several processes sharing a
 * database check each one once), and verifies them; the verdict is
 * recorded, and audited, like any other. Without a verdict (the provider
 * could not be reached) the claim is undone and the next round tries again.
 */
#ifndef SLIPWAY_REVERIFY_H
#define SLIPWAY_REVERIFY_H

struct app;
struct reverify;

struct reverify *reverify_start(struct app *app);
/* Stops the thread; checks already started finish through the verify pool. */
void reverify_stop(struct reverify *r);

#endif
