/*
 * stores.c: the store-submission job (stores.h, docs/stores.md): one
 * provider op on the submission's target, its outcome recorded on the row,
 * the release's timeline and the job's end in one transaction.
 */
#include "stores/stores.h"

#include <inttypes.h>

#include "core/clock.h"
#include "core/log.h"
#include "crypto/secret.h"
#include "integrations/catalog.h"
#include "jobs/jobs.h"
#include "providers/registry.h"
#include "releases/lifecycle.h"
#include "releases/releases.h"
#include "stores/lifecycle.h"
#include "tenancy/audit.h"
#include "tenancy/roles.h"
#include "tenancy/tenants.h"
#include "verify/verify.h"

enum err_code submission_load(struct store_conn *c, const char *tenant, const char *id, struct submission *s, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(s, 0, sizeof *s);
    if (store_select(
            c,
            "SELECT s.id, s.releaseId, s.platform, s.targetIntegrationId, s.targetType, s.track, s.status, s.pendingAction, "
            "s.buildNumber, r.version, s.editId, s.rolloutMillionths, s.actionCount, s.inAppUpdatePriority, s.releaseNotes, "
            "s.storeVersionId, s.testers, s.rolloutPlan, s.planStage, s.planNextAt, s.planHeldMs, s.reviewState "
            "FROM store_submissions s JOIN releases r ON r.id = s.releaseId AND r.tenantId = s.tenantId "
            "WHERE s.tenantId = ? AND s.id = ?",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        s->found = true;
        release_cols(st, 0, s->id, sizeof s->id, s->release, sizeof s->release, s->platform, sizeof s->platform, s->target,
                     sizeof s->target, s->target_type, sizeof s->target_type, s->track, sizeof s->track, s->status,
                     sizeof s->status, s->pending, sizeof s->pending, s->build_number, sizeof s->build_number, s->version,
                     sizeof s->version, s->edit, sizeof s->edit, NULL);
        s->millionths = store_col_int(st, 11);
        s->action_count = store_col_int(st, 12);
        s->priority = store_col_text(st, 13) ? store_col_int(st, 13) : -1;
        s->notes = store_col_text(st, 14) ? json_loads(store_col_text(st, 14), 0, NULL) : NULL;
        release_cols(st, 15, s->store_version, sizeof s->store_version, NULL);
        s->testers = store_col_text(st, 16) ? json_loads(store_col_text(st, 16), 0, NULL) : NULL;
        s->plan = store_col_text(st, 17) ? json_loads(store_col_text(st, 17), 0, NULL) : NULL;
        s->plan_stage = store_col_text(st, 18) ? store_col_int(st, 18) : -1;
        if (!store_col_text(st, 19) || clock_parse(store_col_text(st, 19), &s->plan_next_ms))
            s->plan_next_ms = 0;
        s->plan_held_ms = store_col_text(st, 20) ? store_col_int(st, 20) : -1;
        release_cols(st, 21, s->review_state, sizeof s->review_state, NULL);
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

void submission_clear(struct submission *s)
{
    json_decref(s->notes);
    json_decref(s->testers);
    json_decref(s->plan);
    s->notes = s->testers = s->plan = NULL;
}

enum err_code submission_queue(struct store_conn *c, struct jobs *jobs, const struct request *req, const char *tenant,
                               const char *release, const char *id, const char *action, const char *message, const json_t *payload,
                               json_t *details, int64_t count, struct err *err)
{
    char job[UUID_SIZE], dedupe[100], audit[64];
    json_t *counted = json_deep_copy(payload); /* the action's count: a follow ends once a later action is asked */

    json_object_set_new(counted, "count", json_integer((json_int_t)count));
    snprintf(dedupe, sizeof dedupe, "store-submission:%s:%" PRId64, id, count);
    snprintf(audit, sizeof audit, "release.submission.%s", action);
    if (release_event_add(c, tenant, release,
                          &(struct release_event_row){.kind = "ACTION",
                                                      .name = action,
                                                      .outcome = "OK",
                                                      .message = message,
                                                      .details = details,
                                                      .actor = req ? principal_of(req)->account_id : NULL},
                          err) == ERR_OK &&
        jobs_enqueue_in(c, jobs,
                        &(struct job_new){.kind = STORE_SUBMISSION_JOB,
                                          .tenant = tenant,
                                          .payload = counted,
                                          .dedupe_key = dedupe,
                                          .max_attempts = STORE_MAX_ATTEMPTS},
                        job, err) == ERR_OK)
        audit_write(
            c, req,
            &(struct audit_event){
                .tenant_id = tenant, .action = audit, .target_type = "store_submission", .target_id = id, .details = details},
            err);
    json_decref(counted);
    return err->code;
}

static bool change_in_review(const struct submission *s);

enum err_code submission_ask(struct store_conn *c, struct jobs *jobs, const struct request *req, const char *tenant,
                             const struct submission_ask *a, struct err *err)
{
    const struct provider *p;
    char now[TIMESTAMP_SIZE];
    enum submission_status from;
    struct submission s;
    json_t *payload, *details;
    int64_t changes = 0;
    bool ended;

    if (submission_load(c, tenant, a->id, &s, err))
        return err->code;
    submission_clear(&s);
    if (!s.found || strcmp(s.release, a->release) != 0)
        return err_set(err, ERR_NOT_FOUND, "not found");
    p = provider_by_type(s.target_type);
    if (change_in_review(&s))
        return err_set(err, ERR_CONFLICT, "%s reviews the submission's %s: try again once it has published it",
                       p ? p->display : "the store", s.pending);
    if (s.pending[0])
        return err_set(err, ERR_CONFLICT, "the submission's %s is under way: try again when it has ended", s.pending);
    from = submission_status_parse(s.status);
    ended = from == SUB_RELEASED && !(p && (p->store_features & STORE_HALT_RELEASED));
    if (ended || submission_transition(from, a->event) == SUB_NONE ||
        (a->event == SEV_ROLLOUT && json_integer_value(a->permille) * 1000 >= 1000000 &&
         submission_transition(from, SEV_COMPLETE) == SUB_NONE))
        return err_set(err, ERR_CONFLICT, "a %s submission cannot %s%s%s%s", s.status, a->action, ended ? ": " : "",
                       ended ? (p ? p->display : "the store") : "",
                       ended ? " has released it to every user (only a staged or phased rollout that is still "
                               "running can be halted)"
                             : "");
    if (a->event == SEV_ROLLOUT && json_integer_value(a->permille) * 1000 <= s.millionths)
        return err_set(err, ERR_CONFLICT, "a staged rollout only grows: it is at %g%% now", (double)s.millionths / 10000.0);
    clock_now(now);
    if (store_run(
            c,
            "UPDATE store_submissions SET pendingAction = ?, actionCount = actionCount + 1, updatedAt = ? "
            "WHERE tenantId = ? AND id = ? AND pendingAction IS NULL AND actionCount = ?",
            STORE_ARGS(STORE_TEXT(a->action), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(a->id), STORE_INT(s.action_count)),
            &changes, err))
        return err->code;
    if (changes != 1)
        return err_set(err, ERR_CONFLICT, "another action on the submission came first: try again");
    payload = json_pack("{s:s, s:s, s:s, s:O?}", "releaseId", a->release, "submissionId", a->id, "action", a->action, "permille",
                        a->permille);
    if (a->cancel_review)
        json_object_set_new(payload, "cancelReview", json_true());
    details = json_pack("{s:s, s:s, s:s?, s:O?}", "submissionId", a->id, "from", s.status, "reason", a->reason, "rolloutPermille",
                        a->permille);
    submission_queue(c, jobs, req, tenant, a->release, a->id, a->action, a->reason, payload, details, s.action_count + 1, err);
    json_decref(details);
    json_decref(payload);
    return err->code;
}

#define POLL_MAX_MS 300000 /* polls double up to this */

/* What an action asks of the store, as the table's event; for submit and rollout it depends on the fraction. */
static enum submission_event action_event(const char *action, int64_t millionths)
{
    if (strcmp(action, "halt") == 0)
        return SEV_HALT;
    if (strcmp(action, "resume") == 0)
        return millionths >= 1000000 ? SEV_COMPLETE : SEV_RESUME; /* a full rollout halted, resumed: every user again */
    if (strcmp(action, "complete") == 0 || millionths >= 1000000)
        return SEV_COMPLETE;
    return SEV_ROLLOUT;
}

/*
 * A reviewing store's state (App Store Connect's appStoreState, TestFlight's
 * betaReviewState: APPROVED, the testers have the build; Google Play's
 * releaseLifecycleState: PUBLISHED is a staged rollout or everyone, by the
 * share committed) as the table's event; -1 for one that moves nothing.
 */
static int review_event(const char *state)
{
    static const struct {
        const char *state;
        enum submission_event event;
    } map[] = {{"WAITING_FOR_REVIEW", SEV_SUBMITTED},
               {"IN_REVIEW", SEV_IN_REVIEW},
               {"REJECTED", SEV_REJECTED},
               {"METADATA_REJECTED", SEV_REJECTED},
               {"DEVELOPER_REJECTED", SEV_REJECTED},
               {"PENDING_DEVELOPER_RELEASE", SEV_APPROVED},
               {"PENDING_APPLE_RELEASE", SEV_APPROVED},
               {"READY_FOR_SALE", SEV_COMPLETE},
               {"PROCESSING_FOR_APP_STORE", SEV_APPROVED},
               {"APPROVED", SEV_COMPLETE},
               {"RELEASE_LIFECYCLE_STATE_NOT_SENT_FOR_REVIEW", SEV_SUBMITTED},
               {"RELEASE_LIFECYCLE_STATE_IN_REVIEW", SEV_IN_REVIEW},
               {"RELEASE_LIFECYCLE_STATE_NOT_APPROVED", SEV_REJECTED},
               {"RELEASE_LIFECYCLE_STATE_APPROVED_NOT_PUBLISHED", SEV_APPROVED},
               {"RELEASE_LIFECYCLE_STATE_PUBLISHED", SEV_ROLLOUT}};
    for (size_t i = 0; state && i < ARRAY_LEN(map); i++)
        if (strcmp(map[i].state, state) == 0)
            return (int)map[i].event;
    return -1;
}

/*
 * Where a store's state takes the submission from from: the table's moves
 * in order until event applies, so a state seen late (approved, or Play's
 * published, never seen in review) passes through the ones in between.
 */
static enum submission_status review_move(enum submission_status from, int event)
{
    static const enum submission_event path[] = {SEV_SUBMITTED, SEV_IN_REVIEW, SEV_APPROVED};
    enum submission_status at = from, next;

    if (event < 0)
        return from;
    for (size_t i = 0; (next = submission_transition(at, (enum submission_event)event)) == SUB_NONE && i < ARRAY_LEN(path); i++)
        if (submission_transition(at, path[i]) != SUB_NONE)
            at = submission_transition(at, path[i]);
    return next != SUB_NONE ? next : from;
}

/* The timeline's name for a move to to (notify.c maps submitted, rejected and rollout-updated to the catalogue). */
static const char *move_name(const char *action, enum submission_status to)
{
    if (strcmp(action, "submit") == 0 &&
        (to == SUB_SUBMITTED || to == SUB_IN_REVIEW || to == SUB_ROLLING_OUT || to == SUB_RELEASED)) /* Play: in review at once */
        return "submitted";
    switch (to) {
    case SUB_PROCESSING:
        return "processing";
    case SUB_IN_REVIEW:
        return "in-review";
    case SUB_REJECTED:
        return "rejected";
    case SUB_APPROVED:
        return "review-approved"; /* not "approved": that is the regression's, which notify.c tells as release.approved */
    default:
        return "rollout-updated";
    }
}

/* True while a reviewing store has the submission: the job polls it. */
static bool reviewing(enum submission_status s)
{
    return s == SUB_SUBMITTED || s == SUB_IN_REVIEW;
}

/*
 * Approved, the store releases it on its own (App Store SCHEDULED: PENDING_APPLE_RELEASE at a date; Play's managed
 * publishing: APPROVED_NOT_PUBLISHED until published in Play Console): the job polls it too.
 */
static bool store_releases(enum submission_status s, const char *store_state)
{
    return s == SUB_APPROVED && store_state &&
           (strcmp(store_state, "PENDING_APPLE_RELEASE") == 0 ||
            strcmp(store_state, "RELEASE_LIFECYCLE_STATE_APPROVED_NOT_PUBLISHED") == 0);
}

/*
 * Whether action's change to a live release (ROLLING_OUT, HALTED or RELEASED: not a submit) is one the store may review
 * again (STORE_CHANGE_REVIEW: Play sends an update of a reviewed track to review): the job reads its review after the
 * commit, and while the store reviews it the submission stays where it was with the action under way.
 */
static bool change_reviewed(const char *type, enum submission_status at, const char *action)
{
    const struct provider *p = provider_by_type(type);
    return p && (p->store_features & STORE_CHANGE_REVIEW) && action[0] && strcmp(action, "submit") != 0 &&
           strcmp(action, "poll") != 0 && (at == SUB_ROLLING_OUT || at == SUB_HALTED || at == SUB_RELEASED);
}

/* Whether a store state says it still reviews a change (sent, in review, approved but not published). */
static bool review_open(int event)
{
    return event == SEV_SUBMITTED || event == SEV_IN_REVIEW || event == SEV_APPROVED;
}

/* Whether the action under way is a change the store reviews: the job follows it; other actions are refused (409). */
static bool change_in_review(const struct submission *s)
{
    return change_reviewed(s->target_type, submission_status_parse(s->status), s->pending) &&
           review_open(review_event(s->review_state));
}

/* Whether the store moves the share of a rollout itself (Apple's phased release, day by day): the job follows it. */
static bool own_schedule(const char *type, enum submission_status at)
{
    const struct provider *p = provider_by_type(type);
    return at == SUB_ROLLING_OUT && p && (p->store_features & STORE_OWN_SCHEDULE);
}

/* Whether the job follows the submission on the store (step 1). */
static bool following(const struct submission *s)
{
    enum submission_status status = submission_status_parse(s->status);
    return reviewing(status) || store_releases(status, s->review_state) || change_in_review(s) ||
           own_schedule(s->target_type, status);
}

/* A followed rollout's state as the store answers it (Play's track status words: App Store's phased release read). */
static enum submission_event staged_event(const char *status)
{
    return strcmp(status, "completed") == 0 ? SEV_COMPLETE : strcmp(status, "halted") == 0 ? SEV_HALT : SEV_ROLLOUT;
}

/* The provider op of an action. */
static provider_step_fn action_op(const struct provider *p, const char *action)
{
    static const struct {
        const char *action;
        size_t offset;
    } ops[] = {
        {"submit", offsetof(struct provider_ops, store_submit)},     {"rollout", offsetof(struct provider_ops, store_set_rollout)},
        {"halt", offsetof(struct provider_ops, store_halt)},         {"resume", offsetof(struct provider_ops, store_resume)},
        {"complete", offsetof(struct provider_ops, store_complete)}, {"poll", offsetof(struct provider_ops, store_status)}};
    for (size_t i = 0; p && i < ARRAY_LEN(ops); i++)
        if (strcmp(ops[i].action, action) == 0)
            return *(const provider_step_fn *)((const char *)p->ops + ops[i].offset);
    return NULL;
}

/* ---- rollout plans: the stages a staged rollout moves through on its own ---- */

#define PLAN_MINUTE_MS 60000

static int64_t stage_millionths(const json_t *plan, size_t i)
{
    return json_integer_value(json_object_get(json_array_get(plan, i), "rolloutPermille")) * 1000;
}

static int64_t stage_wait_ms(const json_t *plan, size_t i)
{
    return json_integer_value(json_object_get(json_array_get(plan, i), "waitMinutes")) * PLAN_MINUTE_MS;
}

/* Where a submission's rollout plan stands: its last stage applied (-1 none), when the next is due (0 none), the wait a halt held
 * (-1 none). */
struct plan_state {
    int64_t stage, next_ms, held_ms;
};

/*
 * The plan once the submission is at to with millionths of users, now: a
 * staged rollout is at the last stage it has reached (a manual rollout past
 * a stage skips ahead), the next due that stage's wait later, or, resumed,
 * what a halt held of the wait; a halt holds what is left; anything else
 * leaves nothing to wait for.
 */
static struct plan_state plan_after(const struct submission *s, enum submission_status to, int64_t millionths, int64_t now)
{
    struct plan_state p = {s->plan_stage, s->plan_next_ms, s->plan_held_ms};
    size_t n = json_array_size(s->plan), i = 0;

    if (n == 0)
        return p;
    if (to == SUB_HALTED) {
        if (p.next_ms)
            p.held_ms = p.next_ms > now ? p.next_ms - now : 0;
        p.next_ms = 0;
        return p;
    }
    if (to != SUB_ROLLING_OUT) {
        if (to == SUB_RELEASED)
            p.stage = (int64_t)n - 1;
        p.next_ms = 0;
        p.held_ms = -1;
        return p;
    }
    while (i < n && stage_millionths(s->plan, i) <= millionths)
        i++;
    if (i == 0 || i == n) { /* below the first stage, or past the last: nothing to wait for */
        p.next_ms = 0;
        return p;
    }
    if (p.held_ms >= 0 && (int64_t)i - 1 == p.stage)
        p.next_ms = now + p.held_ms; /* resumed: the wait goes on where the halt held it */
    else if ((int64_t)i - 1 != p.stage || !p.next_ms)
        p.next_ms = now + stage_wait_ms(s->plan, i - 1);
    p.stage = (int64_t)i - 1;
    p.held_ms = -1;
    return p;
}

/* Waits until the plan's next stage is due (step 2); a later wait of the same plan is harmless: the stage is queued once. */
static void plan_wait(struct job *j, const char *id, int64_t due_ms)
{
    char key[JOB_EVENT_KEY_SIZE];
    snprintf(key, sizeof key, "store-plan:%s", id);
    job_wait(j, 2, key, due_ms);
}

struct plan_tx {
    struct job *job;
    const struct stores_env *env;
    const char *id;
    bool queued;
};

/*
 * The plan's next stage, due: a rollout action of its own (pendingAction,
 * the action count, the timeline, its job and audit row) unless an action
 * is under way or came first, and this job's end, in one transaction.
 */
static enum err_code plan_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct plan_tx *t = ctx;
    const char *tenant = t->job->tenant;
    char now[TIMESTAMP_SIZE], msg[200];
    json_t *payload, *details;
    int64_t changes = 0, next;
    struct submission s;

    if (submission_load(c, tenant, t->id, &s, err))
        return err->code;
    next = s.plan_stage + 1;
    if (s.found && !s.pending[0] && strcmp(s.status, "ROLLING_OUT") == 0 && s.plan_next_ms && s.plan_next_ms <= clock_now_ms() &&
        next < (int64_t)json_array_size(s.plan)) {
        clock_now(now);
        if (store_run(c,
                      "UPDATE store_submissions SET pendingAction = 'rollout', actionCount = actionCount + 1, planNextAt = NULL, "
                      "updatedAt = ? WHERE tenantId = ? AND id = ? AND pendingAction IS NULL AND actionCount = ?",
                      STORE_ARGS(STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(t->id), STORE_INT(s.action_count)), &changes,
                      err) == ERR_OK &&
            changes == 1) {
            snprintf(msg, sizeof msg, "rollout plan: stage %" PRId64 " of %zu, %g%% of users", next + 1, json_array_size(s.plan),
                     (double)stage_millionths(s.plan, (size_t)next) / 10000.0);
            payload = json_pack("{s:s, s:s, s:s, s:I, s:I}", "releaseId", s.release, "submissionId", t->id, "action", "rollout",
                                "permille", (json_int_t)(stage_millionths(s.plan, (size_t)next) / 1000), "stage", (json_int_t)next);
            details = json_pack("{s:s, s:s, s:I, s:I}", "submissionId", t->id, "from", s.status, "planStage", (json_int_t)next,
                                "rolloutPermille", (json_int_t)(stage_millionths(s.plan, (size_t)next) / 1000));
            t->queued = submission_queue(c, t->env->jobs, NULL, tenant, s.release, t->id, "rollout", msg, payload, details,
                                         s.action_count + 1, err) == ERR_OK;
            json_decref(details);
            json_decref(payload);
        }
    }
    submission_clear(&s);
    return err->code ? err->code : job_done_in(c, t->job, err);
}

/* Step 2: the plan's wait ended; its next stage is queued when due, else the job waits again (or ends: halted, none left). */
static void plan_step(const struct stores_env *env, struct job *j, const struct submission *s)
{
    struct plan_tx t = {.job = j, .env = env, .id = s->id};
    struct store_conn *c = NULL;
    struct err err;

    err_clear(&err);
    if (s->found && !s->pending[0] && strcmp(s->status, "ROLLING_OUT") == 0 && s->plan_next_ms > clock_now_ms()) {
        plan_wait(j, s->id, s->plan_next_ms);
        return;
    }
    if (!s->found || !env->jobs) {
        if (s->found)
            err_set(&err, ERR_UNAVAILABLE, "the job engine is starting");
        s->found ? job_fail(j, &err) : job_done(j);
        return;
    }
    if (store_conn_get(env->store, &c, &err) == ERR_OK)
        tenant_tx(c, j->tenant, plan_body, &t, &err);
    store_conn_put(c);
    if (err.code) {
        job_fail(j, &err);
        return;
    }
    job_done(j);
    if (t.queued)
        jobs_nudge(env->jobs);
}

/* One outcome of a submission's call, recorded in one transaction. */
struct outcome {
    struct job *job;
    const char *id, *action; /* action: submit, rollout, halt, resume, complete, or poll (the review) */
    enum verdict verdict;
    const char *message;
    const json_t *output;      /* the call's output, or NULL */
    bool given_up;             /* refused, or no answer after every attempt: the action ends without effect */
    bool waiting;              /* the store is not ready (a build processing): the job asks again later */
    bool follow;               /* out: the store still has it (in review, or releasing it at a date): the job polls */
    enum submission_status to; /* out: the status after */
    int64_t plan_next_ms;      /* out: when the rollout plan's next stage is due (the job waits for it), or 0 */
};

/* The end of a refused action: a refused submit FAILED, any other as it was; statusReason says why. */
static enum err_code outcome_refused(struct store_conn *c, struct outcome *o, const struct submission *s, struct err *err)
{
    const char *tenant = o->job->tenant;
    enum submission_status from = submission_status_parse(s->status);
    char now[TIMESTAMP_SIZE], msg[700];

    o->to = strcmp(o->action, "submit") == 0 ? submission_transition(from, SEV_FAILED) : SUB_NONE;
    if (o->to == SUB_NONE)
        o->to = from;
    snprintf(msg, sizeof msg, "%s: %s", o->action, o->message);
    clock_now(now);
    if (store_run(c,
                  "UPDATE store_submissions SET status = ?, pendingAction = NULL, statusReason = ?, "
                  "reviewState = COALESCE(?, reviewState), updatedAt = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(submission_status_name(o->to)), STORE_TEXT(msg),
                             STORE_TEXT(json_string_value(json_object_get(o->output, "state"))), STORE_TIME(now),
                             STORE_TEXT(tenant), STORE_TEXT(o->id)),
                  NULL, err))
        return err->code;
    if (o->to != from &&
        release_event_add(
            c, tenant, s->release,
            &(struct release_event_row){.kind = "STATUS", .name = "submission-failed", .message = msg, .details = o->output}, err))
        return err->code;
    return job_done_in(c, o->job, err);
}

/* Whether a store target's provider ships platform ("IOS", "ANDROID"): a platform no store ships (WEB) is no store's to release. */
static bool store_ships(const char *platform)
{
    const struct provider *p;
    for (size_t i = 0; (p = provider_at(i)); i++)
        if (p->store_platform && platform && strcmp(p->store_platform, platform) == 0)
            return true;
    return false;
}

/*
 * Inside the outcome's transaction, once a submission is RELEASED: a READY release whose every platform a store ships has a
 * submission RELEASED on its store's own track (Play production, the App Store: not TestFlight, a testing track or Firebase's
 * testers) moves to RELEASED (releases/lifecycle.c), on its timeline.
 */
static enum err_code release_settle(struct store_conn *c, const char *tenant, const char *release, struct err *err)
{
    char status[16] = "", now[TIMESTAMP_SIZE];
    json_t *platforms = NULL, *done = json_object();
    struct store_stmt *st;
    const char *platform;
    size_t i;
    int rc;

    if (store_select(c, "SELECT status, platforms FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err))
        goto out;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(status, sizeof status, "%s", store_col_text(st, 0));
        platforms = json_loads(store_col_text(st, 1), 0, NULL);
    }
    store_finish(st);
    if (rc != 1 || release_transition(release_status_parse(status), REV_RELEASED, REL_NONE) == REL_NONE ||
        store_select(c,
                     "SELECT platform, targetType, track FROM store_submissions WHERE tenantId = ? AND releaseId = ? "
                     "AND status = 'RELEASED'",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err))
        goto out;
    while ((rc = store_next(st, err)) == 1) {
        const struct provider *p = provider_by_type(store_col_text(st, 1));
        if (p && p->store_platform && p->store_track && strcmp(p->store_track, store_col_text(st, 2)) == 0)
            json_object_set_new(done, store_col_text(st, 0), json_true());
    }
    store_finish(st);
    if (rc < 0 || json_object_size(done) == 0)
        goto out;
    for (i = 0; i < json_array_size(platforms); i++)
        if (store_ships((platform = json_string_value(json_array_get(platforms, i)))) && !json_object_get(done, platform))
            goto out; /* a platform still on its way */
    clock_now(now);
    if (store_run(c, "UPDATE releases SET status = ?, updatedAt = ? WHERE tenantId = ? AND id = ? AND status = ?",
                  STORE_ARGS(STORE_TEXT(release_status_name(REL_RELEASED)), STORE_TIME(now), STORE_TEXT(tenant),
                             STORE_TEXT(release), STORE_TEXT(status)),
                  NULL, err) == ERR_OK)
        release_event_add(c, tenant, release,
                          &(struct release_event_row){.kind = "STATUS",
                                                      .name = "released",
                                                      .from = status,
                                                      .to = release_status_name(REL_RELEASED),
                                                      .message = "every platform's build is with every user of its store"},
                          err);
out:
    json_decref(platforms);
    json_decref(done);
    return err->code;
}

static enum err_code outcome_apply(struct store_conn *c, struct outcome *o, const struct submission *s, struct err *err)
{
    const char *tenant = o->job->tenant, *status = json_string_value(json_object_get(o->output, "status"));
    const char *state = json_string_value(json_object_get(o->output, "state"));
    /* a poll of a change the store reviews acts for that action (still under way); any other poll for itself */
    bool for_action = strcmp(o->action, "poll") == 0 && change_in_review(s);
    const char *acting = for_action ? s->pending : o->action;
    char now[TIMESTAMP_SIZE], next_at[TIMESTAMP_SIZE], msg[700];
    enum submission_status from;
    struct plan_state plan;
    int64_t millionths;
    json_t *details;
    int event;
    bool staged =
        status && (strcmp(status, "inProgress") == 0 || strcmp(status, "halted") == 0 || strcmp(status, "completed") == 0);
    bool reviewed, held;

    from = o->to = submission_status_parse(s->status);
    if ((strcmp(o->action, "poll") != 0 || o->verdict != VERDICT_VALID) &&
        release_event_add(c, tenant, s->release,
                          &(struct release_event_row){.kind = "CALL",
                                                      .name = o->action,
                                                      .outcome = o->given_up                  ? "FAILED"
                                                                 : o->verdict == VERDICT_NONE ? "RETRY"
                                                                                              : "OK",
                                                      .message = o->message,
                                                      .details = o->output},
                          err))
        return err->code;
    if (o->verdict == VERDICT_NONE && !o->given_up)
        return ERR_OK; /* tried again after the engine's backoff */
    if (o->given_up)
        return outcome_refused(c, o, s, err);
    millionths = s->millionths;
    if (staged)
        millionths = strcmp(status, "completed") == 0
                         ? 1000000
                         : (int64_t)(json_number_value(json_object_get(o->output, "fraction")) * 1000000.0 + 0.5);
    else if (for_action && strcmp(acting, "rollout") == 0) /* the change reviewed, published: its share */
        millionths = json_integer_value(json_object_get(o->job->payload, "permille")) * 1000;
    event = o->waiting ? SEV_PROCESSING : review_event(state ? state : staged ? NULL : status);
    reviewed = change_reviewed(s->target_type, from, acting);
    if (reviewed && event == SEV_REJECTED) { /* the store refused the change: the action ends without effect, its word kept */
        o->action = acting;
        if (release_event_add(
                c, tenant, s->release,
                &(struct release_event_row){.kind = "STATUS", .name = "rejected", .message = o->message, .details = o->output},
                err))
            return err->code;
        return outcome_refused(c, o, s, err);
    }
    held = reviewed && review_open(event);
    if (event == SEV_ROLLOUT || (event < 0 && staged)) /* a committed share (Play's published release: the one committed) */
        event = strcmp(acting, "poll") == 0 && staged ? staged_event(status) : action_event(acting, millionths);
    o->to = held ? from : review_move(from, event); /* held: users keep what they had until the store publishes it */
    if (held)
        millionths = s->millionths;
    if (o->to == SUB_RELEASED)
        millionths = 1000000;
    if (o->to == SUB_NONE)
        o->to = from; /* the store did it; the table has nothing to move */
    plan = held ? (struct plan_state){s->plan_stage, s->plan_next_ms, s->plan_held_ms}
                : plan_after(s, o->to, millionths, clock_now_ms());
    o->plan_next_ms = plan.next_ms;
    clock_now(now);
    if (plan.next_ms)
        clock_format(plan.next_ms, next_at);
    if (store_run(c,
                  "UPDATE store_submissions SET status = ?, pendingAction = ?, rolloutMillionths = ?, "
                  "editId = COALESCE(?, editId), storeVersionId = COALESCE(?, storeVersionId), "
                  "storeSubmissionId = COALESCE(?, storeSubmissionId), reviewState = COALESCE(?, reviewState), statusReason = ?, "
                  "submittedAt = CASE WHEN ? THEN COALESCE(submittedAt, ?) ELSE submittedAt END, releasedAt = ?, updatedAt = ?, "
                  "planStage = ?, planNextAt = ?, planHeldMs = ? WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(submission_status_name(o->to)), STORE_TEXT(o->waiting || held ? s->pending : NULL),
                             STORE_INT(millionths), STORE_TEXT(json_string_value(json_object_get(o->output, "editId"))),
                             STORE_TEXT(json_string_value(json_object_get(o->output, "storeVersionId"))),
                             STORE_TEXT(json_string_value(json_object_get(o->output, "storeSubmissionId"))),
                             STORE_TEXT(state    ? state
                                        : staged ? NULL
                                                 : status),
                             STORE_TEXT(o->to == SUB_REJECTED ? o->message : NULL), STORE_BOOL(!o->waiting), STORE_TIME(now),
                             o->to == SUB_RELEASED ? STORE_TIME(now) : STORE_NULL, STORE_TIME(now),
                             plan.stage >= 0 ? STORE_INT(plan.stage) : STORE_NULL, plan.next_ms ? STORE_TIME(next_at) : STORE_NULL,
                             plan.held_ms >= 0 ? STORE_INT(plan.held_ms) : STORE_NULL, STORE_TEXT(tenant), STORE_TEXT(o->id)),
                  NULL, err))
        return err->code;
    if (o->to != from || millionths != s->millionths || strcmp(o->action, "poll") != 0 ||
        (held && strcmp(state ? state : "", s->review_state) != 0)) {
        if (held)
            snprintf(msg, sizeof msg, "%s %s: build %s, the %s is in review (%s); users keep %g%% until it is published",
                     s->target_type, s->track, s->build_number, acting, state, (double)millionths / 10000.0);
        else
            snprintf(msg, sizeof msg, "%s %s: build %s %s, %g%% of users", s->target_type, s->track, s->build_number,
                     submission_status_name(o->to), (double)millionths / 10000.0);
        details = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s?}", "submissionId", o->id, "target", s->target_type, "track",
                            s->track, "buildNumber", s->build_number, "fraction", (double)millionths / 1000000.0, "from", s->status,
                            "to", submission_status_name(o->to), "storeState",
                            state    ? state
                            : staged ? NULL
                                     : status);
        release_event_add(c, tenant, s->release,
                          &(struct release_event_row){.kind = "STATUS",
                                                      .name = held ? "in-review" : move_name(o->action, o->to),
                                                      .message = o->to == SUB_REJECTED ? o->message : msg,
                                                      .details = details},
                          err);
        json_decref(details);
    }
    if (!err->code && o->to == SUB_RELEASED && from != SUB_RELEASED)
        release_settle(c, tenant, s->release, err);
    o->follow = reviewing(o->to) || store_releases(o->to, state ? state : status) || held || own_schedule(s->target_type, o->to);
    if (err->code || o->waiting || o->follow || o->plan_next_ms)
        return err->code; /* the job waits, then asks again (or queues the plan's next stage) */
    return job_done_in(c, o->job, err);
}

/* Whether a later action than the job's (its count, in the payload) was asked of s: that action's job follows s now. */
static bool superseded(const struct job *j, const struct submission *s)
{
    const json_t *count = json_object_get(j->payload, "count");
    return json_is_integer(count) && json_integer_value(count) != s->action_count;
}

static enum err_code outcome_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct outcome *o = ctx;
    struct submission s;

    if (submission_load(c, o->job->tenant, o->id, &s, err))
        return err->code;
    if (!s.found || (strcmp(o->action, "poll") == 0 && superseded(o->job, &s)))
        return job_done_in(c, o->job, err); /* gone, or a later action was asked while this poll was out: its job follows */
    outcome_apply(c, o, &s, err);
    submission_clear(&s);
    return err->code;
}

static enum err_code outcome_record(const struct stores_env *env, struct outcome *o, struct err *err)
{
    struct store_conn *c = NULL;
    if (store_conn_get(env->store, &c, err) == ERR_OK)
        tenant_tx(c, o->job->tenant, outcome_body, o, err);
    store_conn_put(c);
    return err->code;
}

/*
 * Waits for the next look at the store (step: 0 the action again, 1 the review): SLIPWAY_STORE_POLL_MS (1 s) after a
 * change, doubling up to 5 min; or at once when the target's webhook says its store moved (key "store:<targetId>").
 */
static void wait_store(const struct stores_env *env, struct job *j, int step, const char *target, enum submission_status now)
{
    char key[JOB_EVENT_KEY_SIZE];
    json_int_t polls = json_integer_value(json_object_get(j->data, "polls"));
    int64_t delay = env->poll_ms;

    if (json_integer_value(json_object_get(j->data, "seen")) != (json_int_t)now)
        polls = 0; /* something moved: look again soon */
    for (json_int_t i = 0; i < polls && delay < POLL_MAX_MS; i++)
        delay *= 2;
    json_object_set_new(j->data, "polls", json_integer(polls + 1));
    json_object_set_new(j->data, "seen", json_integer((json_int_t)now));
    snprintf(key, sizeof key, "store:%s", target);
    job_wait(j, step, key, clock_now_ms() + (delay < POLL_MAX_MS ? delay : POLL_MAX_MS));
}

/* The call ended: recorded, then the job ends, waits to look again, or is tried again when the store did not answer. */
static void call_done(const struct stores_env *env, struct job *j, const struct submission *s, const char *action,
                      struct provider_call *call)
{
    const char *cause = json_string_value(json_object_get(call->output, "cause"));
    char message[700];
    struct outcome o = {.job = j,
                        .id = json_string_value(json_object_get(j->payload, "submissionId")),
                        .action = j->step == 1 ? "poll" : action,
                        .verdict = call->verdict,
                        .message = call->message,
                        .output = call->output,
                        .given_up = call->verdict == VERDICT_INVALID || call->verdict == VERDICT_EXPIRED ||
                                    (call->verdict == VERDICT_NONE && j->attempt >= STORE_MAX_ATTEMPTS),
                        .waiting = call->verdict == VERDICT_VALID && json_object_get(call->output, "waiting")};
    struct err err;

    err_clear(&err);
    if (cause && call->verdict != VERDICT_VALID) {
        snprintf(message, sizeof message, "%s (%s)", call->message, cause);
        o.message = message;
    }
    if (outcome_record(env, &o, &err)) {
        job_fail(j, &err);
    } else if (call->verdict == VERDICT_NONE && !o.given_up) {
        err_set(&err, ERR_UNAVAILABLE, "%s: %s", o.action, call->message);
        job_fail(j, &err);
    } else if (o.waiting || (!o.given_up && o.follow)) {
        wait_store(env, j, o.waiting ? 0 : 1, s->target, o.to);
    } else if (o.plan_next_ms) {
        plan_wait(j, o.id, o.plan_next_ms);
    } else {
        if (o.given_up)
            log_info("submission %s of tenant %s: %s refused: %s", o.id, j->tenant, o.action, o.message);
        job_done(j); /* recorded with the outcome */
    }
}

/* Starts the action's op on the submission's target (j parks); ERR_CONFLICT when the target cannot. */
static enum err_code start_call(const struct stores_env *env, struct job *j, const struct submission *s, const char *action,
                                struct err *err)
{
    const struct provider *p;
    struct store_conn *db = NULL;
    json_t *config = NULL, *scm = NULL, *input;
    provider_step_fn op;

    if (!s->target[0])
        return err_set(err, ERR_CONFLICT, "the submission's target integration was deleted");
    if (store_conn_get(env->store, &db, err) == ERR_OK)
        verify_load(db, env->keys, category_get(CAT_TARGETS), j->tenant, s->target, NULL, &config, &scm, err);
    store_conn_put(db);
    if (err->code)
        return err->code;
    p = provider_by_type(json_string_value(json_object_get(config, "type")));
    if (!(op = action_op(p, action))) {
        secret_wipe_json(config);
        secret_wipe_json(scm);
        json_decref(config);
        json_decref(scm);
        return err_set(err, ERR_CONFLICT, "%s cannot %s yet", p ? p->display : "this target", action);
    }
    input = json_pack("{s:s, s:[s], s:s, s:s, s:s, s:s}", "track", s->track, "versionCodes", s->build_number, "releaseName",
                      s->version, "integrationId", s->target, "storeVersionId", s->store_version, "status", s->status);
    if (json_is_integer(json_object_get(j->payload, "permille")))
        json_object_set_new(input, "fraction",
                            json_real((double)json_integer_value(json_object_get(j->payload, "permille")) / 1000.0));
    if (s->notes)
        json_object_set(input, "releaseNotes", s->notes);
    if (s->testers)
        json_object_set(input, "testers", s->testers);
    if (s->priority >= 0)
        json_object_set_new(input, "inAppUpdatePriority", json_integer(s->priority));
    if (json_is_true(json_object_get(j->payload, "cancelReview")))
        json_object_set_new(input, "cancelReview", json_true());
    if (json_object_get(j->payload, "releaseType")) /* App Store Connect: the version's release type, and its date */
        json_object_set(input, "releaseType", json_object_get(j->payload, "releaseType"));
    if (json_object_get(j->payload, "earliestReleaseDate"))
        json_object_set(input, "earliestReleaseDate", json_object_get(j->payload, "earliestReleaseDate"));
    provider_call_in_job(provider_call_new(env->loop, p, op, config, scm, input, NULL, NULL), j);
    return ERR_OK;
}

void stores_submission_step(void *ctx, struct job *j)
{
    const struct stores_env *env = ctx;
    const char *id = json_string_value(json_object_get(j->payload, "submissionId"));
    const char *action = json_string_value(json_object_get(j->payload, "action"));
    struct provider_call *call = provider_call_of(j);
    struct store_conn *db = NULL;
    struct submission s;
    struct err err;

    err_clear(&err);
    if (!id || !action || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a submission: the payload names no submission and action");
        job_fail(j, &err);
        return;
    }
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        submission_load(db, j->tenant, id, &s, &err);
    store_conn_put(db);
    if (err.code) {
        job_fail(j, &err);
        return;
    }
    if (j->step == 2 || (j->step == 0 && s.found && strcmp(s.pending, action) != 0 && s.plan_next_ms)) {
        plan_step(env, j, &s); /* the plan's wait (or, run again after a crash, this action's outcome set it) */
        submission_clear(&s);
        return;
    }
    if (j->step == 1 && s.found && superseded(j, &s)) {
        submission_clear(&s); /* a later action was asked: its own job follows the submission from now on */
        job_done(j);
        return;
    }
    if (j->step == 0 && s.found && strcmp(s.pending, action) != 0 && following(&s)) {
        submission_clear(&s);
        job_next(j, 1); /* sent, recorded, then stopped before its first wait: follow the review */
        return;
    }
    if (!s.found || (j->step == 0 ? strcmp(s.pending, action) != 0 : !following(&s))) {
        submission_clear(&s); /* gone, this action's outcome recorded already, or the review is over */
        job_done(j);
        return;
    }
    if (call)
        call_done(env, j, &s, action, call);
    else if (start_call(env, j, &s, (action = j->step == 1 ? "poll" : action), &err)) {
        struct outcome o = {
            .job = j, .id = id, .action = action, .verdict = VERDICT_INVALID, .message = err.message, .given_up = true};
        struct err e2;
        err_clear(&e2);
        if (outcome_record(env, &o, &e2))
            job_fail(j, &e2);
        else
            job_done(j);
    }
    submission_clear(&s);
}
