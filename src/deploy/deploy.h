/*
 * deploy.h: a tenant's hosts and deployments (issue 17, docs/deployments.md):
 * connecting to a host (its credential decrypted for the moment it is used,
 * its host key pinned on first use), and the deployment workflow, one job
 * of kind "deploy-run" a deployment:
 *
 *     0 PENDING -> RUNNING (start), startedAt, in one transaction with the
 *       job's progress
 *     1 connect, run the script (its body on the shell's stdin), write each
 *       line of output as it arrives, and end the deployment with the exit
 *       status, in one transaction with the job's end
 *
 * Before a step begins the job may wait, holding no worker (job_wait): for
 * its approvals (AWAITING_APPROVAL), its scheduledTime (SCHEDULED), a
 * frozen environment to thaw (before the first step), or a free slot on
 * the step's host (hosts.maxConcurrent, across deployments).
 *
 * Step 1 run a second time (attempt 2: slipway died while it ran) does not
 * know whether the script had effects: the deployment ends FAILED
 * "interrupted" unless the script is idempotent, when it runs again from
 * the start (lifecycle.h: interrupted, restart). A cancelled deployment's
 * step notices between reads and stops the remote command.
 *
 * On a docker host (docs/deployments.md "Docker hosts") the script runs in
 * a container named after its step, made through the host's Engine over
 * the SSH connection (outbound/docker.h): a step found RUNNING after a
 * crash finds its container again and follows it, never starting another,
 * and the container is removed only once the step's end is written.
 */
#ifndef SLIPWAY_DEPLOY_H
#define SLIPWAY_DEPLOY_H

#include <stdatomic.h>

#include "outbound/ssh.h"
#include "store/store.h"

#define DEPLOY_RUN_JOB "deploy-run" /* payload: deploymentId */
#define DEPLOY_LOG_MAX_LINES 10000  /* lines of output stored a deployment; the rest are counted (droppedLines) */
#define DEPLOY_EVENT_KEY_SIZE 64    /* "deploy:", "deploy-env:" or "deploy-host:" and a UUID */
#define DEPLOY_REASON_SIZE 700      /* a deployment's statusReason while it waits */
#define DEPLOY_REF_MAX 255          /* bytes of a deployment's ref (a branch, tag or commit) */

struct keyring;
struct outbound;
struct job;

/* What hosts and deployments need; the job kind's ctx. */
struct deploy_env {
    struct store *store;
    const struct keyring *keys;
    const struct outbound *guard; /* the outbound loop's allow-list judges host addresses */
    long timeout_ms;              /* each SSH exchange (SLIPWAY_OUTBOUND_TIMEOUT) */
    int64_t output_cap;           /* bytes of output stored a deployment (SLIPWAY_DEPLOY_OUTPUT_CAP); the rest are counted */
    atomic_bool stopping;         /* set on shutdown: a running script is stopped and its deployment ends FAILED */
    struct ssh_loop *ssh;         /* reads every running script's output (ssh.h); stopped before the jobs */
    /* the CI/CD jobs' calls (cicd.h) */
    const struct provider_loop *loop;
};

#define DEPLOY_DOCKER_SOCKET "/var/run/docker.sock" /* a docker host's Engine socket when it names none */

/* A docker host's Engine (docs/deployments.md "Docker hosts"); on is false for an ssh host. */
struct deploy_docker {
    bool on;
    char socket[256], image[256];
};

/*
 * Connects to host id of tenant and logs in, recording the outcome on the
 * host (status, lastTestedAt, lastError; the fingerprint pinned on the
 * first success, or seen when it changed). ERR_NOT_FOUND for no such host;
 * any other failure is on the host and in err. *conn is NULL when out is
 * NULL (a test: connect, record, close). A docker host's Engine is pinged
 * through the session too (its version recorded; unreachable: the host
 * FAILED and an error); docker (may be NULL) gets its Engine's place.
 */
enum err_code deploy_host_connect(const struct deploy_env *env, struct store_conn *c, const char *tenant, const char *id,
                                  struct ssh_conn **out, struct deploy_docker *docker, struct err *err);

void deploy_run_step(void *ctx, struct job *j);

/*
 * The event a deployment's job waits for: "deploy:" (its approvals came),
 * "deploy-env:" (its environment thawed) or "deploy-host:" (a slot of the
 * host was freed), and the id.
 */
void deploy_event_key(const char *prefix, const char *id, char out[DEPLOY_EVENT_KEY_SIZE]);

/* "waiting: environment NAME is frozen: REASON", a frozen environment's deployment's statusReason. */
void deploy_freeze_reason(const char *environment, const char *reason, char out[DEPLOY_REASON_SIZE]);

/*
 * The catalogue event of a deployment that has just ended (its row already
 * says how), in c's transaction: deployment.succeeded, deployment.failed
 * (FAILED or PARTIALLY_FAILED: the payload's status says which) or
 * deployment.cancelled, with {"deployment": {id, status, statusReason,
 * exitCode, environmentId, requestedByAccountId}} (docs/events.md).
 */
enum err_code deploy_notify_end(struct store_conn *c, const char *tenant, const char *id, struct err *err);

/*
 * deployment.approval.requested of a deployment just made AWAITING_APPROVAL,
 * in c's transaction: the payload as above, and who may approve it
 * (approverRoles, requiredApprovals: its environment's).
 */
enum err_code deploy_notify_awaiting(struct store_conn *c, const char *tenant, const char *id, struct err *err);

#endif
