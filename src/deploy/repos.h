/*
 * repos.h: a tenant's repositories, synced from each SCM integration's
 * listing (issue 17, docs/deployments.md "Repositories"), as durable jobs.
 *
 * A sync ("repos-sync", payload integrationId) reads the listing one page
 * a step (scm_list_repos on the outbound loop; the pages read so far are
 * the job's data, so a process killed mid-sync resumes at the page it was
 * on), then writes everything in one transaction with the job's end:
 * upsert by (integrationId, externalId), delete the rows (and their pins)
 * the listing no longer has, SYNCED and lastSyncedAt. A failure changes no
 * row: FAILED and lastSyncError. repos_sync_start marks the integration
 * SYNCING as it enqueues, so a sync running is not started twice.
 *
 * An OAuth token about to expire is refreshed first (verify/refresh.h).
 *
 * Every REPOS_SWEEP_EVERY_S the recurring "repos-sweep" starts a sync of
 * each SCM integration not synced (else created) for SLIPWAY_REPO_SYNC_INTERVAL.
 */
#ifndef SLIPWAY_REPOS_H
#define SLIPWAY_REPOS_H

#include "core/common.h"
#include "core/err.h"
#include "store/store.h"

#define REPOS_SYNC_JOB "repos-sync"   /* payload: integrationId */
#define REPOS_SWEEP_JOB "repos-sweep" /* recurring */
#define REPOS_SWEEP_EVERY_S 60
#define REPOS_TOKEN_WAIT_MS 120000 /* how long a sync waits for its token's refresh */
#define REPOS_SYNC_MAX_PAGES 200   /* a listing longer than this fails rather than grow the job's row without end */

struct keyring;
struct provider_loop;
struct jobs;
struct job;

/* What the sync needs; the job kinds' ctx. jobs is set once the engine has started. */
struct repos_env {
    struct store *store;
    const struct keyring *keys;
    const struct provider_loop *loop;
    struct jobs *jobs;
    int interval; /* seconds: SLIPWAY_REPO_SYNC_INTERVAL */
};

void repos_sync_step(void *ctx, struct job *j);
void repos_sweep_step(void *ctx, struct job *j);
/*
 * Inside the caller's transaction: a sync of the tenant's SCM integration,
 * its job id in job (the running one's when a sync is under way: none is
 * added then). ERR_NOT_FOUND for no such integration of the tenant.
 */
enum err_code repos_sync_start(struct store_conn *c, struct jobs *q, const char *tenant, const char *integration,
                               char job[UUID_SIZE], struct err *err);

#endif
