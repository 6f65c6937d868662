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

/*
 * Running a deployment's jobs (docs/deployments.md "CI/CD jobs"): steps of
 * the deployment's deploy-run job after its scripts, one mapping at a time
 * by position. Once every script step has ended: each mapping is triggered
 * through the pipeline's ci_trigger (the job's externalId in the field the
 * provider names, ci_job_field; the mapping's parameters; the mapping's id
 * as the correlation id, so a run triggered before a kill -9 is found, not
 * triggered again), then followed as release builds are: the signed build
 * webhook ("build:<integrationId>:<runId>") or, without one in time, a
 * ci_status poll (5 s doubling to 5 min). Its status, runId, buildNumber,
 * buildUrl, startedAt, finishedAt and error are on the mapping row, and
 * each move is a system line of the deployment's log. A script that did not
 * succeed: no job is triggered (each FAILED, "not run"). The mapping's
 * status is a compare-and-swap from PENDING or RUNNING: a cancel wins.
 */
struct cicd_run {
    struct cicd_env env;
    const char *ref;      /* the deployment's ref, what its jobs are triggered on; NULL: none (a trigger fails) */
    struct store_conn *c; /* the step's connection */
    struct job *job;      /* the deploy-run job */
    const char *tenant, *deployment;
    void (*line)(void *ctx, const char *text); /* a system line of the deployment's log, written before it returns */
    void *ctx;
};

/* True when what is attached to j is a call of the deployment's jobs (not a running script). */
bool cicd_run_call(const struct job *j);
/*
 * The deployment's jobs on from where they are: true when j was handed on
 * (parked on a call, or waiting: the caller must not touch j); false when
 * every mapping has ended (the deployment concludes), or on error (err).
 */
bool cicd_run_step(const struct cicd_run *run, struct err *err);
/* Counts of the mappings' statuses (enum deploy_status) added to counts, *total, and the first failure's reason. */
enum err_code cicd_run_outcome(struct store_conn *c, const char *tenant, const char *deployment, int *counts, int *total,
                               char *first_failure, size_t n, struct err *err);
/* Inside the caller's transaction (a cancel): the mappings not ended CANCELLED, saying that their runs are not followed. */
enum err_code cicd_run_cancel(struct store_conn *c, const char *tenant, const char *deployment, const char *now, struct err *err);

#endif
