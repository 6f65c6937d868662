/*
 * candidates.c: after the builds, as workflows of the job engine
 * (releases.h, docs/releases.md "New candidate" and "Finish"): a new
 * release candidate from the release branch's head, and finish (the final
 * tag, the provider's release, FINISHED). Each step is one provider call
 * whose outcome is written with the release's change in one transaction,
 * and every call reads before it writes, so a step run again (a crash, a
 * retry) repeats nothing toward the provider.
 */
#include <strings.h>

#include "core/clock.h"
#include "jobs/jobs.h"
#include "releases/lifecycle.h"
#include "releases/releases.h"
#include "sites/sites.h"
#include "tenancy/tenants.h"

/* What these steps read of their release. */
struct stage {
    bool found;
    char status[16], scm[UUID_SIZE], branch[256], commit[65], final_tag[256], version[128];
    int64_t candidate;
    json_t *notes; /* owned: a string, or NULL */
};

static enum err_code stage_load(struct store_conn *c, const char *tenant, const char *id, struct stage *s, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(s, 0, sizeof *s);
    if (store_select(c,
                     "SELECT status, scmIntegrationId, releaseBranch, candidateCommit, finalTag, version, candidateNumber, notes "
                     "FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        s->found = true;
        release_cols(st, 0, s->status, sizeof s->status, s->scm, sizeof s->scm, s->branch, sizeof s->branch, s->commit,
                     sizeof s->commit, s->final_tag, sizeof s->final_tag, s->version, sizeof s->version, NULL);
        s->candidate = store_col_int(st, 6);
        s->notes = store_col_text(st, 7) ? json_string(store_col_text(st, 7)) : NULL;
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

static enum err_code stage_read(const struct release_env *env, const struct job *j, const char *release, struct stage *s,
                                struct err *err)
{
    struct store_conn *db = NULL;
    if (store_conn_get(env->store, &db, err) == ERR_OK)
        stage_load(db, j->tenant, release, s, err);
    store_conn_put(db);
    return err->code;
}

/* One step's outcome, written in one transaction: its call's timeline entry (name NULL: none), then apply. */
struct outcome {
    const struct job *job;
    const char *release, *name, *result, *message;
    const json_t *details;
    enum err_code (*apply)(struct store_conn *c, struct outcome *o, struct err *err); /* may be NULL */
};

static enum err_code outcome_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct outcome *o = ctx;

    if (o->name &&
        release_event_add(c, o->job->tenant, o->release,
                          &(struct release_event_row){
                              .kind = "CALL", .name = o->name, .outcome = o->result, .message = o->message, .details = o->details},
                          err))
        return err->code;
    return o->apply ? o->apply(c, o, err) : ERR_OK;
}

static enum err_code outcome_write(const struct release_env *env, struct outcome *o, struct err *err)
{
    struct store_conn *c = NULL;
    if (store_conn_get(env->store, &c, err) == ERR_OK)
        tenant_tx(c, o->job->tenant, outcome_body, o, err);
    store_conn_put(c);
    return err->code;
}

/* The release moves by event, if the table lets it from where it is now; message on the timeline. */
static enum err_code move(struct store_conn *c, struct outcome *o, enum release_event event, const char *message, struct err *err)
{
    struct stage s;
    enum release_status to;
    char now[TIMESTAMP_SIZE];
    json_t *details;

    if (stage_load(c, o->job->tenant, o->release, &s, err))
        return err->code;
    json_decref(s.notes);
    to = s.found ? release_transition(release_status_parse(s.status), event, REL_NONE) : REL_NONE;
    if (to == REL_NONE) /* paused or cancelled meanwhile: what the provider made stays, the release does not move */
        return ERR_OK;
    clock_now(now);
    if (store_run(
            c, "UPDATE releases SET status = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
            STORE_ARGS(STORE_TEXT(release_status_name(to)), STORE_TIME(now), STORE_TEXT(o->job->tenant), STORE_TEXT(o->release)),
            NULL, err))
        return err->code;
    /* a finish names its final tag (release.finished's finalTag) */
    details = event == REV_FINISH ? json_pack("{s:s?}", "finalTag", s.final_tag[0] ? s.final_tag : NULL) : NULL;
    release_event_add(c, o->job->tenant, o->release,
                      &(struct release_event_row){.kind = "STATUS",
                                                  .name = release_event_name(event),
                                                  .from = s.status,
                                                  .to = release_status_name(to),
                                                  .message = message,
                                                  .details = details},
                      err);
    json_decref(details);
    return err->code;
}

/* A call that could not start (no connection, no such op): FAILED on the timeline, the job ends. */
static void refused(const struct release_env *env, struct job *j, const char *release, const char *name, struct err *why)
{
    struct outcome o = {.job = j, .release = release, .name = name, .result = "FAILED", .message = why->message};
    struct err err;

    err_clear(&err);
    if (outcome_write(env, &o, &err))
        job_fail(j, &err);
    else
        job_done(j);
}

/* A call without an answer: RETRY on the timeline and the engine's backoff. True when it was one. */
static bool unanswered(const struct release_env *env, struct job *j, const char *release, const char *name,
                       const struct provider_call *call)
{
    struct outcome o = {
        .job = j, .release = release, .name = name, .result = "RETRY", .message = call->message, .details = call->output};
    struct err err;

    if (call->verdict != VERDICT_NONE)
        return false;
    err_clear(&err);
    if (outcome_write(env, &o, &err) == ERR_OK)
        err_set(&err, ERR_UNAVAILABLE, "%s: %s", name, call->message);
    job_fail(j, &err);
    return true;
}

/* ---- a new candidate ---- */

enum { CAND_HEAD, CAND_TAG, CAND_BUILDS, CAND_END };

static enum err_code candidate_made(struct store_conn *c, struct outcome *o, struct err *err)
{
    const json_t *out = o->details;
    int64_t from = json_integer_value(json_object_get(o->job->payload, "from"));
    const char *tag = json_string_value(json_object_get(out, "name")), *sha = json_string_value(json_object_get(out, "sha"));
    char message[600], now[TIMESTAMP_SIZE];
    enum release_status to;
    struct stage s;

    if (stage_load(c, o->job->tenant, o->release, &s, err))
        return err->code;
    json_decref(s.notes);
    to = s.found ? release_transition(release_status_parse(s.status), REV_NEW_CANDIDATE, REL_NONE) : REL_NONE;
    if (to == REL_NONE || s.candidate != from) /* made by an earlier run of this step, or paused or cancelled meanwhile */
        return ERR_OK;
    snprintf(message, sizeof message, "candidate %lld: %s at %s", (long long)from + 1, tag, sha);
    clock_now(now);
    /* release.candidate.created's own fields */
    json_t *details = json_pack("{s:I, s:s?}", "candidateNumber", (json_int_t)(from + 1), "candidateTag", tag);
    if (store_run(c,
                  "UPDATE releases SET status = ?, candidateNumber = ?, candidateTag = ?, candidateCommit = ?, updatedAt = ? "
                  "WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(release_status_name(to)), STORE_INT(from + 1), STORE_TEXT(tag), STORE_TEXT(sha),
                             STORE_TIME(now), STORE_TEXT(o->job->tenant), STORE_TEXT(o->release)),
                  NULL, err) ||
        release_event_add(c, o->job->tenant, o->release,
                          &(struct release_event_row){.kind = "STATUS",
                                                      .name = release_event_name(REV_NEW_CANDIDATE),
                                                      .from = s.status,
                                                      .to = release_status_name(to),
                                                      .message = message,
                                                      .details = details},
                          err)) {
        json_decref(details);
        return err->code;
    }
    json_decref(details);
    return release_builds_add(c, o->job->tenant, o->release, false, err); /* their jobs: the next step */
}

static void candidate_called(const struct release_env *env, struct job *j, const char *release, struct provider_call *call)
{
    const char *name = j->step == CAND_HEAD ? "read-branch-head" : "create-tag";
    const char *sha = json_string_value(json_object_get(call->output, "sha"));
    const char *current = json_string_value(json_object_get(j->payload, "commit"));
    struct outcome o = {
        .job = j, .release = release, .name = name, .result = "OK", .message = call->message, .details = call->output};
    char same[400];
    struct err err;

    err_clear(&err);
    if (unanswered(env, j, release, name, call))
        return;
    if (call->verdict != VERDICT_VALID || !sha || !sha[0]) {
        o.result = "FAILED"; /* the release stays where it is; the person sees why */
    } else if (j->step == CAND_HEAD && current && strcasecmp(sha, current) == 0) {
        snprintf(same, sizeof same, "the release branch's head is still the current candidate's commit %s: nothing new to build",
                 sha);
        o.result = "FAILED", o.message = same;
    } else if (j->step == CAND_TAG) {
        o.apply = candidate_made;
    }
    if (outcome_write(env, &o, &err))
        job_fail(j, &err);
    else if (strcmp(o.result, "OK") != 0)
        job_done(j);
    else if (j->step == CAND_HEAD) {
        json_object_set_new(j->data, "head", json_string(sha));
        job_next(j, CAND_TAG);
    } else
        job_next(j, CAND_BUILDS);
}

void release_candidate_step(void *ctx, struct job *j)
{
    const struct release_env *env = ctx;
    const char *release = json_string_value(json_object_get(j->payload, "releaseId"));
    int64_t from = json_integer_value(json_object_get(j->payload, "from"));
    struct provider_call *call = provider_call_of(j);
    struct store_conn *db = NULL;
    struct stage s;
    struct err err;
    char tag[256];

    err_clear(&err);
    if (!release || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a new candidate: the payload names no release");
        job_fail(j, &err);
        return;
    }
    if (call) {
        candidate_called(env, j, release, call);
        return;
    }
    if (j->step == CAND_BUILDS) {
        release_builds_children(env, j, release, CAND_END);
        return;
    }
    if (j->step == CAND_END || stage_read(env, j, release, &s, &err)) {
        if (err.code)
            job_fail(j, &err);
        else
            job_done(j);
        return;
    }
    json_decref(s.notes);
    if (s.found && s.candidate > from) { /* tagged by an earlier run of this job */
        job_next(j, CAND_BUILDS);
        return;
    }
    if (!s.found || release_transition(release_status_parse(s.status), REV_NEW_CANDIDATE, REL_NONE) == REL_NONE) {
        j->output = json_pack("{s:s}", "status", s.found ? s.status : "GONE");
        job_done(j); /* paused, cancelled, or moved on meanwhile */
        return;
    }
    if (j->step == CAND_TAG) { /* the tag's name as the release was created (its kept template) */
        if (store_conn_get(env->store, &db, &err) == ERR_OK)
            release_names_of(db, j->tenant, release, (int)from + 1, NULL, tag, NULL, &err);
        store_conn_put(db);
    }
    if (!err.code && j->step == CAND_HEAD)
        release_scm_call(env, j, s.scm, RELEASE_SCM_RESOLVE, json_pack("{s:s}", "ref", s.branch), NULL, &err);
    else if (!err.code)
        release_scm_call(env, j, s.scm, RELEASE_SCM_TAG,
                         json_pack("{s:s, s:s?}", "name", tag, "sha", json_string_value(json_object_get(j->data, "head"))), NULL,
                         &err);
    if (err.code) /* else parked: the call runs the step again */
        refused(env, j, release, j->step == CAND_HEAD ? "read-branch-head" : "create-tag", &err);
}

/* ---- finish ---- */

enum { FIN_TAG, FIN_RELEASE, FIN_DONE };

static enum err_code final_tag_made(struct store_conn *c, struct outcome *o, struct err *err)
{
    char now[TIMESTAMP_SIZE];
    clock_now(now);
    return store_run(c, "UPDATE releases SET finalTag = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(json_string_value(json_object_get(o->details, "name"))), STORE_TIME(now),
                                STORE_TEXT(o->job->tenant), STORE_TEXT(o->release)),
                     NULL, err);
}

/*
 * FINISHED, and in the same transaction the post telling the release on each
 * of the tenant's sites (docs/sites.md): a step run again after a crash finds
 * the posts made with the status or makes both, never one twice.
 */
static enum err_code finished(struct store_conn *c, struct outcome *o, struct err *err)
{
    struct store_stmt *st;
    char *notes = NULL;
    int rc;

    if (move(c, o, REV_FINISH, o->message, err) ||
        store_select(c, "SELECT notes FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(o->job->tenant), STORE_TEXT(o->release)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1 && store_col_text(st, 0))
        notes = strdup(store_col_text(st, 0));
    store_finish(st);
    if (rc >= 0 && notes && *notes)
        sites_post_from_release(c, o->job->tenant, o->release, notes, NULL, err);
    free(notes);
    return err->code;
}

static void finish_called(const struct release_env *env, struct job *j, const char *release, struct provider_call *call)
{
    const char *name = j->step == FIN_TAG ? "create-final-tag" : "create-release";
    struct outcome o = {.job = j,
                        .release = release,
                        .name = name,
                        .result = call->verdict == VERDICT_VALID ? "OK" : "FAILED",
                        .message = call->message,
                        .details = call->output,
                        .apply = j->step == FIN_TAG && call->verdict == VERDICT_VALID ? final_tag_made : NULL};
    struct err err;

    err_clear(&err);
    if (unanswered(env, j, release, name, call))
        return;
    if (outcome_write(env, &o, &err))
        job_fail(j, &err);
    else if (call->verdict != VERDICT_VALID) /* refused: the release stays READY, finish can be asked again */
        job_done(j);
    else
        job_next(j, j->step + 1);
}

void release_finish_step(void *ctx, struct job *j)
{
    const struct release_env *env = ctx;
    const char *release = json_string_value(json_object_get(j->payload, "releaseId"));
    struct provider_call *call = provider_call_of(j);
    struct store_conn *db = NULL;
    struct stage s;
    struct err err;
    char tag[256] = "";
    bool missing = false;

    err_clear(&err);
    if (!release || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a finish: the payload names no release");
        job_fail(j, &err);
        return;
    }
    if (call) {
        finish_called(env, j, release, call);
        return;
    }
    if (stage_read(env, j, release, &s, &err)) {
        job_fail(j, &err);
        return;
    }
    if (!s.found || release_transition(release_status_parse(s.status), REV_FINISH, REL_NONE) == REL_NONE) {
        j->output = json_pack("{s:s}", "status", s.found ? s.status : "GONE");
        json_decref(s.notes);
        job_done(j); /* finished by an earlier run, or paused or cancelled meanwhile */
        return;
    }
    if (j->step == FIN_DONE) {
        char message[300];
        struct outcome o = {.job = j, .release = release, .message = message, .apply = finished};
        snprintf(message, sizeof message, "finished: %s", s.final_tag);
        json_decref(s.notes);
        if (outcome_write(env, &o, &err))
            job_fail(j, &err);
        else
            job_done(j);
        return;
    }
    if (j->step == FIN_TAG && s.final_tag[0]) { /* made by an earlier run of this step */
        json_decref(s.notes);
        job_next(j, FIN_RELEASE);
        return;
    }
    if (j->step == FIN_TAG) {
        if (store_conn_get(env->store, &db, &err) == ERR_OK)
            release_names_of(db, j->tenant, release, 0, NULL, NULL, tag, &err);
        store_conn_put(db);
        if (!err.code)
            release_scm_call(env, j, s.scm, RELEASE_SCM_TAG, json_pack("{s:s, s:s}", "name", tag, "sha", s.commit), NULL, &err);
    } else {
        release_scm_call(
            env, j, s.scm, RELEASE_SCM_RELEASE,
            json_pack("{s:s, s:s, s:s}", "tag", s.final_tag, "name", s.version, "notes", s.notes ? json_string_value(s.notes) : ""),
            &missing, &err);
    }
    json_decref(s.notes);
    if (missing) { /* an SCM without releases (Bitbucket): the final tag is the release */
        job_next(j, FIN_DONE);
        return;
    }
    if (err.code) /* else parked: the call runs the step again */
        refused(env, j, release, j->step == FIN_TAG ? "create-final-tag" : "create-release", &err);
}
