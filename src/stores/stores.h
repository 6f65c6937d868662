/*
 * stores.h: store submissions and staged rollouts (issue 15, docs/stores.md).
 *
 * A submission is a release's build sent to one store target (a
 * store_submissions row; its status is lifecycle.h's). Everything that
 * reaches a store is one "store-submission" job: the submission itself and
 * each action on it (rollout to a fraction, halt, resume, complete), one at a
 * time (the row's pendingAction), each deduplicated by the row's
 * actionCount. A job runs its target's provider op (provider.h's store ops)
 * on the outbound loop and records the outcome on the row, on the release's
 * timeline (release_event_add: release.submitted and rollout.updated follow
 * to the notifications) and the job's end in one transaction. The ops read
 * before they write (a change already made is done), so a job run again
 * after a crash applies nothing twice.
 *
 * A store that reviews (App Store Connect) keeps the submit job going: while
 * the build is missing or processing it asks again later (PROCESSING), and
 * once sent it follows the review (store_status: in review, rejected,
 * approved), polling 1 s after a change, doubling up to 5 minutes, or at once
 * when the target's webhook signals "store:<targetId>" (App Store Connect's
 * notifications, integrations/webhooks.h). An action's job follows the same
 * way where the store goes on after it: Play reviewing the action's change
 * again (STORE_CHANGE_REVIEW: the action stays pending until published),
 * Apple moving a phased release's day (STORE_OWN_SCHEDULE: while
 * ROLLING_OUT). A job's payload carries its action count: a follow ends,
 * and a poll's outcome is dropped, once a later action was asked.
 */
#ifndef SLIPWAY_STORES_H
#define SLIPWAY_STORES_H

#include "providers/call.h"
#include "store/store.h"
#include "stores/lifecycle.h"

#define STORE_SUBMISSION_JOB "store-submission" /* payload: releaseId, submissionId, action, permille?, stage? */
#define STORE_PLAN_MAX_STAGES 10                /* a rollout plan's stages at most */
#define STORE_MAX_ATTEMPTS 10 /* unanswered calls retried with the engine's backoff; then the action is given up */

struct keyring;
struct jobs;
struct request;

/* What the job kind needs; its ctx. */
struct stores_env {
    struct store *store;
    const struct keyring *keys;
    const struct provider_loop *loop;
    struct jobs *jobs; /* a rollout plan's next stage is a job of its own */
    int poll_ms;       /* SLIPWAY_STORE_POLL_MS: the first look at a store that reviews after a change (doubling up to 5 min) */
    const char *public_url; /* SLIPWAY_PUBLIC_URL: the start of a target webhook's URL registered with its store (hooks.h) */
};

void stores_submission_step(void *ctx, struct job *j);

/* A submission as the job and the API read it. */
struct submission {
    bool found;
    char id[UUID_SIZE], release[UUID_SIZE], platform[16], target[UUID_SIZE], target_type[16], track[64], status[16];
    char pending[16], build_number[64], version[64], edit[256], store_version[256], review_state[64];
    int64_t millionths, action_count, priority; /* priority: -1 when none */
    json_t *notes;                              /* {"en-US": text} or NULL; owned */
    json_t *testers;                            /* {"groups": [...], "emails": [...]} or NULL; owned */
    json_t *plan;                               /* the rollout plan, [{rolloutPermille, waitMinutes}], or NULL; owned */
    int64_t plan_stage;                         /* the plan's last stage applied; -1 none yet */
    int64_t plan_next_ms;                       /* when its next stage is due; 0 none (halted, or none left) */
    int64_t plan_held_ms;                       /* halted: what was left of the wait (a resume continues it); -1 none */
};

/* NULL when v is a rollout plan (2 to 10 stages {rolloutPermille, waitMinutes}, the share growing strictly to 1000, each
 * wait 0 to a week) or [] (none); else what is wrong. */
const char *store_plan_problem(const json_t *v);
/*
 * The release configuration's rolloutPlans ({targetIntegrationId: plan}): each key a store target of the tenant whose
 * store takes plans (STORE_PLANS), each value a plan; what is wrong goes to err's details (rolloutPlans.<key>), whose
 * code stays ERR_OK unless the database fails.
 */
enum err_code store_default_plans_check(struct store_conn *c, const char *tenant, const json_t *plans, struct err *err);

/* The submission id of the tenant, into s (s->found false when there is none); free with submission_clear. */
enum err_code submission_load(struct store_conn *c, const char *tenant, const char *id, struct submission *s, struct err *err);
void submission_clear(struct submission *s);

/*
 * Inside the caller's transaction: an action asked of a submission (by req's
 * editor, or by its rollout plan when req is NULL) on the release's
 * timeline, its job (deduplicated by the submission's action count, after
 * the increment) and its audit row (release.submission.<action>).
 */
enum err_code submission_queue(struct store_conn *c, struct jobs *jobs, const struct request *req, const char *tenant,
                               const char *release, const char *id, const char *action, const char *message, const json_t *payload,
                               json_t *details, int64_t count, struct err *err);

/* An action on a submission (not promote): what it is, and its arguments. */
struct submission_ask {
    const char *release, *id, *action, *reason; /* reason: NULL for none */
    enum submission_event event;                /* the action's event of the lifecycle's table */
    const json_t *permille;                     /* rollout: the new share, in thousandths; else NULL */
    bool cancel_review;                         /* Play: commit even if it cancels changes in review */
};

/*
 * Inside the caller's transaction: the action asked of a submission of the
 * release, by req's editor or, req NULL, by slipway itself (a health
 * breach's halt, src/stores/health.c): ERR_NOT_FOUND, or ERR_CONFLICT when
 * an action is under way or the lifecycle's table refuses it; else the row's
 * pendingAction (compare-and-swap on the action count) and submission_queue.
 * The one path of every rollout action.
 */
enum err_code submission_ask(struct store_conn *c, struct jobs *jobs, const struct request *req, const char *tenant,
                             const struct submission_ask *a, struct err *err);

#endif
