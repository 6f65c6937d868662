/*
 * stores.c: the store-submission job (stores.h, docs/stores.md): one
 * provider op on the submission's target, its outcome recorded on the row,
 * the release's timeline and the job's end in one transaction.
 */
#include "stores/stores.h"

#include "core/clock.h"
#include "core/log.h"
#include "crypto/secret.h"
#include "integrations/catalog.h"
#include "jobs/jobs.h"
#include "providers/registry.h"
#include "releases/releases.h"
#include "stores/lifecycle.h"
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
            "s.storeVersionId, s.testers "
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
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

void submission_clear(struct submission *s)
{
    json_decref(s->notes);
    json_decref(s->testers);
    s->notes = s->testers = NULL;
}

#define POLL_FIRST_MS 1000 /* the first review poll this long after a change */
#define POLL_MAX_MS 300000 /* polls double up to this */

/* What an action asks of the store, as the table's event; for submit and rollout it depends on the fraction. */
static enum submission_event action_event(const char *action, int64_t millionths)
{
    if (strcmp(action, "halt") == 0)
        return SEV_HALT;
    if (strcmp(action, "resume") == 0)
        return SEV_RESUME;
    if (strcmp(action, "complete") == 0 || millionths >= 1000000)
        return SEV_COMPLETE;
    return SEV_ROLLOUT;
}

/*
 * A reviewing store's state (App Store Connect's appStoreState, TestFlight's
 * betaReviewState: APPROVED, the testers have the build) as the table's
 * event; -1 for one that moves nothing.
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
               {"APPROVED", SEV_COMPLETE}};
    for (size_t i = 0; state && i < ARRAY_LEN(map); i++)
        if (strcmp(map[i].state, state) == 0)
            return (int)map[i].event;
    return -1;
}

/*
 * Where a reviewing store's state takes the submission from from: the
 * table's moves in order, so a state seen late (approved, never seen in
 * review) passes through the ones in between.
 */
static enum submission_status review_move(enum submission_status from, int event)
{
    static const enum submission_event path[] = {SEV_SUBMITTED, SEV_IN_REVIEW, SEV_APPROVED, SEV_COMPLETE};
    enum submission_status at = from, next;

    if (event < 0)
        return from;
    if ((next = submission_transition(at, (enum submission_event)event)) != SUB_NONE)
        return next;
    for (size_t i = 0; i < ARRAY_LEN(path) && path[i] != (enum submission_event)event; i++)
        if ((next = submission_transition(at, path[i])) != SUB_NONE)
            at = next;
    next = submission_transition(at, (enum submission_event)event);
    return next != SUB_NONE ? next : from;
}

/* The timeline's name for a move to to (notify.c maps submitted, rejected and rollout-updated to the catalogue). */
static const char *move_name(const char *action, enum submission_status to)
{
    if (strcmp(action, "submit") == 0 && (to == SUB_SUBMITTED || to == SUB_ROLLING_OUT || to == SUB_RELEASED))
        return "submitted";
    switch (to) {
    case SUB_PROCESSING:
        return "processing";
    case SUB_IN_REVIEW:
        return "in-review";
    case SUB_REJECTED:
        return "rejected";
    case SUB_APPROVED:
        return "approved";
    default:
        return "rollout-updated";
    }
}

/* True while a reviewing store has the submission: the job polls it. */
static bool reviewing(enum submission_status s)
{
    return s == SUB_SUBMITTED || s == SUB_IN_REVIEW;
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

/* One outcome of a submission's call, recorded in one transaction. */
struct outcome {
    struct job *job;
    const char *id, *action; /* action: submit, rollout, halt, resume, complete, or poll (the review) */
    enum verdict verdict;
    const char *message;
    const json_t *output;      /* the call's output, or NULL */
    bool given_up;             /* refused, or no answer after every attempt: the action ends without effect */
    bool waiting;              /* the store is not ready (a build processing): the job asks again later */
    enum submission_status to; /* out: the status after */
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
                  "UPDATE store_submissions SET status = ?, pendingAction = NULL, statusReason = ?, updatedAt = ? "
                  "WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(submission_status_name(o->to)), STORE_TEXT(msg), STORE_TIME(now), STORE_TEXT(tenant),
                             STORE_TEXT(o->id)),
                  NULL, err))
        return err->code;
    if (o->to != from &&
        release_event_add(
            c, tenant, s->release,
            &(struct release_event_row){.kind = "STATUS", .name = "submission-failed", .message = msg, .details = o->output}, err))
        return err->code;
    return job_done_in(c, o->job, err);
}

static enum err_code outcome_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct outcome *o = ctx;
    const char *tenant = o->job->tenant, *status = json_string_value(json_object_get(o->output, "status"));
    const char *state = json_string_value(json_object_get(o->output, "state"));
    char now[TIMESTAMP_SIZE], msg[700];
    enum submission_status from;
    int64_t millionths;
    struct submission s;
    json_t *details;
    bool staged =
        status && (strcmp(status, "inProgress") == 0 || strcmp(status, "halted") == 0 || strcmp(status, "completed") == 0);

    if (submission_load(c, tenant, o->id, &s, err))
        return err->code;
    if (!s.found)
        return job_done_in(c, o->job, err);
    submission_clear(&s);
    from = o->to = submission_status_parse(s.status);
    if ((strcmp(o->action, "poll") != 0 || o->verdict != VERDICT_VALID) &&
        release_event_add(c, tenant, s.release,
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
        return outcome_refused(c, o, &s, err);
    millionths = s.millionths;
    if (o->waiting) {
        o->to = review_move(from, SEV_PROCESSING);
    } else if (staged) {
        millionths = strcmp(status, "completed") == 0
                         ? 1000000
                         : (int64_t)(json_number_value(json_object_get(o->output, "fraction")) * 1000000.0 + 0.5);
        o->to = submission_transition(from, action_event(o->action, millionths));
    } else {
        o->to = review_move(from, review_event(state ? state : status));
        if (o->to == SUB_RELEASED)
            millionths = 1000000;
    }
    if (o->to == SUB_NONE)
        o->to = from; /* the store did it; the table has nothing to move */
    clock_now(now);
    if (store_run(c,
                  "UPDATE store_submissions SET status = ?, pendingAction = ?, rolloutMillionths = ?, "
                  "editId = COALESCE(?, editId), storeVersionId = COALESCE(?, storeVersionId), "
                  "storeSubmissionId = COALESCE(?, storeSubmissionId), reviewState = COALESCE(?, reviewState), statusReason = ?, "
                  "submittedAt = CASE WHEN ? THEN COALESCE(submittedAt, ?) ELSE submittedAt END, releasedAt = ?, updatedAt = ? "
                  "WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(submission_status_name(o->to)), STORE_TEXT(o->waiting ? s.pending : NULL),
                             STORE_INT(millionths), STORE_TEXT(json_string_value(json_object_get(o->output, "editId"))),
                             STORE_TEXT(json_string_value(json_object_get(o->output, "storeVersionId"))),
                             STORE_TEXT(json_string_value(json_object_get(o->output, "storeSubmissionId"))),
                             STORE_TEXT(staged ? NULL : (state ? state : status)),
                             STORE_TEXT(o->to == SUB_REJECTED ? o->message : NULL), STORE_BOOL(!o->waiting), STORE_TIME(now),
                             o->to == SUB_RELEASED ? STORE_TIME(now) : STORE_NULL, STORE_TIME(now), STORE_TEXT(tenant),
                             STORE_TEXT(o->id)),
                  NULL, err))
        return err->code;
    if (o->to != from || strcmp(o->action, "poll") != 0) {
        snprintf(msg, sizeof msg, "%s %s: build %s %s, %g%% of users", s.target_type, s.track, s.build_number,
                 submission_status_name(o->to), (double)millionths / 10000.0);
        details = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s?}", "submissionId", o->id, "target", s.target_type, "track",
                            s.track, "buildNumber", s.build_number, "fraction", (double)millionths / 1000000.0, "from", s.status,
                            "to", submission_status_name(o->to), "storeState", staged ? NULL : (state ? state : status));
        release_event_add(c, tenant, s.release,
                          &(struct release_event_row){.kind = "STATUS",
                                                      .name = move_name(o->action, o->to),
                                                      .message = o->to == SUB_REJECTED ? o->message : msg,
                                                      .details = details},
                          err);
        json_decref(details);
    }
    if (err->code || o->waiting || reviewing(o->to))
        return err->code; /* the job waits, then asks again */
    return job_done_in(c, o->job, err);
}

static enum err_code outcome_record(const struct stores_env *env, struct outcome *o, struct err *err)
{
    struct store_conn *c = NULL;
    if (store_conn_get(env->store, &c, err) == ERR_OK)
        tenant_tx(c, o->job->tenant, outcome_body, o, err);
    store_conn_put(c);
    return err->code;
}

/* Waits for the next look at the store (step: 0 the action again, 1 the review): 1 s after a change, doubling up to 5 min. */
static void wait_store(struct job *j, int step, const char *id, enum submission_status now)
{
    char key[JOB_EVENT_KEY_SIZE];
    json_int_t polls = json_integer_value(json_object_get(j->data, "polls"));
    int64_t delay = POLL_FIRST_MS;

    if (json_integer_value(json_object_get(j->data, "seen")) != (json_int_t)now)
        polls = 0; /* something moved: look again soon */
    for (json_int_t i = 0; i < polls && delay < POLL_MAX_MS; i++)
        delay *= 2;
    json_object_set_new(j->data, "polls", json_integer(polls + 1));
    json_object_set_new(j->data, "seen", json_integer((json_int_t)now));
    snprintf(key, sizeof key, "store-review:%s", id); /* App Store Connect's webhooks can wake it (not yet) */
    job_wait(j, step, key, clock_now_ms() + (delay < POLL_MAX_MS ? delay : POLL_MAX_MS));
}

/* The call ended: recorded, then the job ends, waits to look again, or is tried again when the store did not answer. */
static void call_done(const struct stores_env *env, struct job *j, const char *action, struct provider_call *call)
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
    } else if (o.waiting || (!o.given_up && reviewing(o.to))) {
        wait_store(j, o.waiting ? 0 : 1, o.id, o.to);
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
    input = json_pack("{s:s, s:[s], s:s, s:s, s:s}", "track", s->track, "versionCodes", s->build_number, "releaseName", s->version,
                      "integrationId", s->target, "storeVersionId", s->store_version);
    if (json_is_integer(json_object_get(j->payload, "permille")))
        json_object_set_new(input, "fraction",
                            json_real((double)json_integer_value(json_object_get(j->payload, "permille")) / 1000.0));
    if (s->notes)
        json_object_set(input, "releaseNotes", s->notes);
    if (s->testers)
        json_object_set(input, "testers", s->testers);
    if (s->priority >= 0)
        json_object_set_new(input, "inAppUpdatePriority", json_integer(s->priority));
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
    if (j->step == 0 && s.found && strcmp(s.pending, action) != 0 && reviewing(submission_status_parse(s.status))) {
        submission_clear(&s);
        job_next(j, 1); /* sent, recorded, then stopped before its first wait: follow the review */
        return;
    }
    if (!s.found || (j->step == 0 ? strcmp(s.pending, action) != 0 : !reviewing(submission_status_parse(s.status)))) {
        submission_clear(&s); /* gone, this action's outcome recorded already, or the review is over */
        job_done(j);
        return;
    }
    if (call)
        call_done(env, j, action, call);
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
