/*
 * cicd.h: the CI/CD jobs of a tenant's pipeline integrations (issue 17,
 * document 003's cicd_jobs; docs/deployments.md "CI/CD jobs"), discovered
 * as durable jobs.
 *
 * A discovery ("cicd-discover", payload integrationId) reads the provider's
 * listing with its ci_list_jobs op, one page a step (the jobs read so far
 * are the job's data, so a process killed mid-discovery resumes at the page
 * it was on), then writes everything in one transaction with the job's
 * end: upsert by (integrationId, externalId), a job no longer listed marked
 * removedAt (kept: deployments name it), DISCOVERED and lastDiscoveredAt.
 * A failure changes no job row: FAILED and lastDiscoveryError.
 */
#ifndef SLIPWAY_CICD_H
#define SLIPWAY_CICD_H

#include "core/common.h"
#include "core/err.h"
#include "store/store.h"

#define CICD_DISCOVER_JOB "cicd-discover" /* payload: integrationId */
#define CICD_DISCOVER_MAX_PAGES 50        /* a listing longer than this fails rather than grow the job's row without end */

struct keyring;
struct provider_loop;
struct jobs;
struct job;

/* What discovery needs; the job kind's ctx. */
struct cicd_env {
    struct store *store;
    const struct keyring *keys;
    const struct provider_loop *loop;
};

void cicd_discover_step(void *ctx, struct job *j);
/*
 * Inside the caller's transaction: a discovery of the tenant's pipeline
 * integration, its job id in job (the running one's when one is under way:
 * none is added then). ERR_NOT_FOUND for no such integration of the tenant.
 */
enum err_code cicd_discover_start(struct store_conn *c, struct jobs *q, const char *tenant, const char *integration,
                                  char job[UUID_SIZE], struct err *err);

#endif
