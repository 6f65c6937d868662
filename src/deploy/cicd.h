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

#include <jansson.h>

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

/*
 * A deployment's CI/CD jobs (deployment_cicd_mappings): the body's
 * "cicdJobs": [{"jobId", "parameters"?: {name: text, number or boolean}}],
 * 1 to CICD_DEPLOY_MAX_JOBS, in order.
 */
#define CICD_DEPLOY_MAX_JOBS 10

/* The shape of cicdJobs, for the route's schema: NULL, or what is wrong. */
const char *cicd_jobs_shape(json_t *list);
/*
 * Each job the tenant's and not removed, each parameter one its definitions
 * name, a choice among its choices, a boolean true or false, a number a
 * number, and every required one given: a detail per problem
 * ("cicdJobs[i].parameters.NAME"), no error code (the caller sets 400).
 */
enum err_code cicd_mappings_check(struct store_conn *c, const char *tenant, const json_t *list, struct err *err);
/* Inside the caller's transaction: one PENDING row a job, its parameters as given (checked first). */
enum err_code cicd_mappings_insert(struct store_conn *c, const char *tenant, const char *deployment, const json_t *list,
                                   const char *now, struct err *err);
/* The deployment's mappings, by position, as the API shows them: {"items": [...]}. Caller owns; NULL with err set. */
json_t *cicd_mappings_of(struct store_conn *c, const char *tenant, const char *deployment, struct err *err);

#endif
