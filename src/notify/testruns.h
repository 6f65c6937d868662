/*
 * testruns.h: a release candidate's test run in each test-management
 * integration of the tenant (TestRail; issue 16, docs/notifications.md
 * "Test runs"), its counts read while the candidate is tested, and the
 * regression approval's gate on its pass rate.
 *
 * One durable job ("test-run") per (integration, release, candidate),
 * enqueued in the transaction of the timeline entry that makes the
 * candidate (kickoff-done, new-candidate). It opens the run (the provider's
 * test_run_open reads before it writes: a run of the candidate's name is
 * found, not made twice), records it in release_test_runs (unique per
 * release, integration and candidate), then reads it (test_run_read) every
 * TESTRUNS_POLL_S, or at once on a signal (the refresh endpoint; a newer
 * candidate), while the release is BUILDING or REGRESSION on that
 * candidate; then a last read, and the row is DONE.
 *
 * Pass rate: passed / every test of the run (untested and custom statuses
 * included: a test not run has not passed), in percent; none for a run of
 * no tests.
 */
#ifndef SLIPWAY_NOTIFY_TESTRUNS_H
#define SLIPWAY_NOTIFY_TESTRUNS_H

#include "http/request.h"
#include "http/schema.h"
#include "store/store.h"

#define TESTRUNS_JOB "test-run" /* payload: releaseId, integrationId, candidate, version, createdAfter (never a secret) */
#define TESTRUNS_POLL_S 300     /* how often a tested candidate's run is read without being asked */

struct jobs;
struct job;

/*
 * The test-run jobs of the timeline entry (kind, name) of release, in c's
 * transaction: one per active test-management integration when the entry
 * makes a candidate (and the previous candidate's jobs told to read a last
 * time); none otherwise.
 */
enum err_code testruns_release_change(struct store_conn *c, struct jobs *q, const char *tenant, const char *release,
                                      const char *kind, const char *name, struct err *err);

/* The job's step; ctx is the struct notify_env (notify.h). */
void testruns_step(void *ctx, struct job *j);

/*
 * The regression approval's gate, in c's transaction: ERR_CONFLICT, with a
 * message naming the run and its rate, unless candidate has at least one
 * test run and each passes at least min_rate percent (as last read).
 */
enum err_code testruns_gate(struct store_conn *c, const char *tenant, const char *release, int64_t candidate, int min_rate,
                            struct err *err);

/* GET /api/v1/{tenantId}/releases/{releaseId}/test-runs (viewers). */
enum err_code release_test_runs_list(struct request *req, struct err *err);
extern const struct schema testruns_refresh_schema; /* no body, or {} */
/* POST .../test-runs/refresh (editors): the release's active runs read now; answers the list as it is (202). */
enum err_code release_test_runs_refresh(struct request *req, struct err *err);

#endif
