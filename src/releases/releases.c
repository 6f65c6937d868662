/* releases.c: templates, versions, the timeline, and kickoff as a workflow of the job engine (releases.h). */
#include "releases/releases.h"

#include <ctype.h>
#include <stdarg.h>
#include <strings.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
#include "notify/notify.h"
#include "releases/lifecycle.h"
#include "tenancy/tenants.h"
#include "verify/verify.h"

bool release_template(const char *template, const char *version, int candidate, char *out, size_t n)
{
    size_t used = 0;
    char num[16];

    snprintf(num, sizeof num, "%d", candidate);
    for (const char *p = template; *p;) {
        const char *put = NULL;
        size_t len = 1;
        if (strncmp(p, "{version}", 9) == 0)
            put = version, len = 9;
        else if (strncmp(p, "{n}", 3) == 0)
            put = num, len = 3;
        size_t add = put ? strlen(put) : 1;
        if (used + add >= n)
            return false;
        memcpy(out + used, put ? put : p, add);
        used += add;
        p += len;
    }
    out[used] = '\0';
    return true;
}

enum err_code release_names_of(struct store_conn *c, const char *tenant, const char *release, int candidate, char *branch,
                               char *tag, char *final, struct err *err)
{
    struct store_stmt *st;
    char version[128] = "", name[256] = "", tpl[2][256] = {"", ""};
    int rc;

    if (store_select(
            c,
            "SELECT r.version, r.releaseBranch, COALESCE(r.candidateTagTemplate, f.candidateTagTemplate, 'v{version}-rc.{n}'), "
            "COALESCE(r.finalTagTemplate, f.finalTagTemplate, 'v{version}') FROM releases r "
            "LEFT JOIN release_configs f ON f.tenantId = r.tenantId WHERE r.tenantId = ? AND r.id = ?",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(release)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        release_cols(st, 0, version, sizeof version, name, sizeof name, tpl[0], sizeof tpl[0], tpl[1], sizeof tpl[1], NULL);
    store_finish(st);
    if (rc <= 0)
        return rc < 0 ? err->code : err_set(err, ERR_NOT_FOUND, "not found");
    if (branch)
        snprintf(branch, 256, "%s", name);
    if ((tag && !release_template(tpl[0], version, candidate, tag, 256)) ||
        (final && !release_template(tpl[1], version, 0, final, 256)))
        return err_set(err, ERR_CONFLICT, "the release's tag template makes a name that is too long");
    return ERR_OK;
}

enum err_code release_last_final_tag(struct store_conn *db, const char *tenant, char *out, size_t n, struct err *err)
{
    struct store_stmt *st;

    out[0] = '\0';
    if (store_select(db,
                     "SELECT finalTag FROM releases WHERE tenantId = ? AND status = 'FINISHED' AND finalTag IS NOT NULL "
                     "ORDER BY updatedAt DESC, id DESC LIMIT 1",
                     STORE_ARGS(STORE_TEXT(tenant)), &st, err))
        return err->code;
    if (store_next(st, err) == 1)
        release_cols(st, 0, out, n, NULL);
    store_finish(st);
    return err->code;
}

/* digits, at least one, no leading zero unless "0"; *s moved past them. */
static bool number(const char **s)
{
    const char *p = *s;
    if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    *s = p;
    return true;
}

const char *release_version_problem(const char *scheme, const char *version)
{
    const char *p = version;
    bool calver = strcmp(scheme, "CALVER") == 0;

    if (calver) { /* YYYY.MM[.N] */
        if (strlen(p) < 6 || !isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
            !isdigit((unsigned char)p[3]) || p[4] != '.')
            return "must be a calendar version, YYYY.MM or YYYY.MM.N (the tenant's versionScheme is CALVER)";
        p += 5;
        if (!number(&p) || (*p == '.' && (p++, !number(&p))) || *p)
            return "must be a calendar version, YYYY.MM or YYYY.MM.N (the tenant's versionScheme is CALVER)";
        return NULL;
    }
    if (!number(&p) || *p++ != '.' || !number(&p) || *p++ != '.' || !number(&p))
        return "must be a semantic version, MAJOR.MINOR.PATCH[-PRERELEASE] (the tenant's versionScheme is SEMVER)";
    if (*p == '-') {
        if (!p[1])
            return "must be a semantic version, MAJOR.MINOR.PATCH[-PRERELEASE] (the tenant's versionScheme is SEMVER)";
        for (p++; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
                return "must be a semantic version, MAJOR.MINOR.PATCH[-PRERELEASE] (the tenant's versionScheme is SEMVER)";
    }
    return *p ? "must be a semantic version, MAJOR.MINOR.PATCH[-PRERELEASE] (the tenant's versionScheme is SEMVER)" : NULL;
}

enum err_code release_event_add(struct store_conn *c, const char *tenant, const char *release, const struct release_event_row *e,
                                struct err *err)
{
    char id[UUID_SIZE], now[TIMESTAMP_SIZE];
    char *details = e->details ? json_dumps(e->details, JSON_COMPACT) : NULL;

    rand_uuid(id);
    clock_now(now);
    store_run(c,
              "INSERT INTO release_events (id, tenantId, releaseId, kind, name, outcome, fromStatus, toStatus, message, details, "
              "actorAccountId, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant), STORE_TEXT(release), STORE_TEXT(e->kind), STORE_TEXT(e->name),
                         STORE_TEXT(e->outcome), STORE_TEXT(e->from), STORE_TEXT(e->to), STORE_TEXT(e->message),
                         STORE_TEXT(details), STORE_TEXT(e->actor), STORE_TIME(now)),
              NULL, err);
    free(details);
    if (!err->code) /* the catalogue event this entry stands for, if any, in the same transaction */
        notify_release_change(c, tenant, release, e->kind, e->name, e->message, e->details, err);
    return err->code;
}

/* ---- kickoff ---- */

enum { STEP_RESOLVE, STEP_BRANCH, STEP_TAG, STEP_DONE, STEP_BUILDS, STEP_END };

static const char *const step_names[] = {"resolve-ref", "create-branch", "create-tag", "kickoff-done"};

/* What kickoff reads of its release. */
struct kick {
    char status[16], scm[UUID_SIZE], base_ref[256], base_commit[65], branch[256], branch_commit[65], tag[256];
    bool found;
};

void release_cols(struct store_stmt *st, int first, ...)
{
    va_list ap;
    char *out;

    va_start(ap, first);
    for (int i = first; (out = va_arg(ap, char *)); i++) {
        size_t n = va_arg(ap, size_t);
        const char *v = store_col_text(st, i);
        snprintf(out, n, "%s", v ? v : "");
    }
    va_end(ap);
}

static enum err_code kick_load(struct store_conn *c, const char *tenant, const char *id, struct kick *k, struct err *err)
{
    struct store_stmt *st;
    int rc;

    memset(k, 0, sizeof *k);
    if (store_select(
            c,
            "SELECT status, scmIntegrationId, baseRef, baseCommit, releaseBranch, branchCommit, candidateTag FROM releases "
            "WHERE tenantId = ? AND id = ?",
            STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1) {
        k->found = true;
        release_cols(st, 0, k->status, sizeof k->status, k->scm, sizeof k->scm, k->base_ref, sizeof k->base_ref, k->base_commit,
                     sizeof k->base_commit, k->branch, sizeof k->branch, k->branch_commit, sizeof k->branch_commit, k->tag,
                     sizeof k->tag, NULL);
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* One step's outcome, recorded in one transaction. */
struct record {
    struct job *job;
    const char *release, *step, *message;
    const struct provider_call *call; /* NULL for the last step */
    const char *sha;                  /* the commit the call answered */
    bool blocked;                     /* refused: the release is BLOCKED */
    bool moved;                       /* out: the release changed status */
};

static enum err_code record_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct record *r = ctx;
    const char *tenant = r->job->tenant, *tag = json_string_value(json_object_get(r->job->payload, "tag"));
    struct kick k;
    char now[TIMESTAMP_SIZE];
    enum release_status from, to;

    if (kick_load(c, tenant, r->release, &k, err))
        return err->code;
    if (!k.found)
        return err_set(err, ERR_NOT_FOUND, "the release is gone");
    clock_now(now);
    from = release_status_parse(k.status);
    if (r->call) {
        const char *outcome = r->blocked ? "FAILED" : (r->call->verdict == VERDICT_NONE ? "RETRY" : "OK");
        if (release_event_add(
                c, tenant, r->release,
                &(struct release_event_row){
                    .kind = "CALL", .name = r->step, .outcome = outcome, .message = r->message, .details = r->call->output},
                err))
            return err->code;
        if (r->call->verdict == VERDICT_NONE)
            return ERR_OK;
    }
    if (r->blocked || !r->call) {
        to = release_transition(from, r->blocked ? REV_KICKOFF_FAILED : REV_KICKOFF_DONE, REL_NONE);
        if (to == REL_NONE) /* paused or cancelled meanwhile: the step runs again and finds out */
            return ERR_OK;
        /* kickoff-done names what it made (release.kickoff.completed's branch and candidateTag) */
        json_t *details =
            r->blocked ? NULL
                       : json_pack("{s:s?, s:s?}", "branch", k.branch[0] ? k.branch : NULL, "candidateTag", k.tag[0] ? k.tag : tag);
        if (store_run(c,
                      "UPDATE releases SET status = ?, resumeStatus = ?, statusReason = ?, kickoffAt = ?, updatedAt = ? "
                      "WHERE tenantId = ? AND id = ?",
                      STORE_ARGS(STORE_TEXT(release_status_name(to)), STORE_TEXT(r->blocked ? k.status : NULL),
                                 STORE_TEXT(r->blocked ? r->message : NULL), r->blocked ? STORE_NULL : STORE_TIME(now),
                                 STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(r->release)),
                      NULL, err) ||
            release_event_add(c, tenant, r->release,
                              &(struct release_event_row){.kind = "STATUS",
                                                          .name = r->blocked ? "kickoff-failed" : "kickoff-done",
                                                          .from = k.status,
                                                          .to = release_status_name(to),
                                                          .message = r->message,
                                                          .details = details},
                              err)) {
            json_decref(details);
            return err->code;
        }
        json_decref(details);
        r->moved = true;
        if (r->blocked)
            return job_done_in(c, r->job, err);
        return release_builds_add(c, tenant, r->release, false, err); /* their jobs: the next step */
    }
    if (strcmp(r->step, "resolve-ref") == 0)
        return store_run(c, "UPDATE releases SET baseCommit = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                         STORE_ARGS(STORE_TEXT(r->sha), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(r->release)), NULL, err);
    if (strcmp(r->step, "create-branch") == 0)
        return store_run(c, "UPDATE releases SET branchCommit = ?, updatedAt = ? WHERE tenantId = ? AND id = ?",
                         STORE_ARGS(STORE_TEXT(r->sha), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(r->release)), NULL, err);
    return store_run(c,
                     "UPDATE releases SET candidateTag = ?, candidateNumber = 1, candidateCommit = ?, updatedAt = ? WHERE tenantId "
                     "= ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tag), STORE_TEXT(r->sha), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(r->release)),
                     NULL, err);
}

static enum err_code record(const struct release_env *env, struct record *r, struct err *err)
{
    struct store_conn *c = NULL;
    if (store_conn_get(env->store, &c, err) == ERR_OK)
        tenant_tx(c, r->job->tenant, record_body, r, err);
    store_conn_put(c);
    return err->code;
}

enum err_code release_scm_call(const struct release_env *env, struct job *j, const char *scm, enum release_scm_op op, json_t *input,
                               bool *missing, struct err *err)
{
    static const char *const doing[] = {"read refs", "make release branches", "make tags", "compare commits", "make releases"};
    const struct provider *p;
    struct store_conn *db = NULL;
    json_t *config = NULL, *conn = NULL;
    provider_step_fn fn = NULL;

    if (missing)
        *missing = false;
    if (!scm || !scm[0]) {
        json_decref(input);
        return err_set(err, ERR_CONFLICT, "the release's source control connection was deleted");
    }
    if (store_conn_get(env->store, &db, err) == ERR_OK)
        verify_load(db, env->keys, category_get(CAT_SCM), j->tenant, scm, NULL, &config, &conn, err);
    store_conn_put(db);
    json_decref(conn);
    if (err->code) {
        json_decref(input);
        return err->code;
    }
    p = provider_by_type(json_string_value(json_object_get(config, "type")));
    if (p)
        fn = op == RELEASE_SCM_RESOLVE   ? p->ops->scm_resolve_ref
             : op == RELEASE_SCM_BRANCH  ? p->ops->scm_create_branch
             : op == RELEASE_SCM_TAG     ? p->ops->scm_create_tag
             : op == RELEASE_SCM_COMPARE ? p->ops->scm_compare
                                         : p->ops->scm_create_release;
    if (!fn) {
        secret_wipe_json(config);
        json_decref(config);
        json_decref(input);
        if (missing)
            *missing = true;
        return err_set(err, ERR_CONFLICT, "%s cannot %s", p ? p->display : "this SCM", doing[op]);
    }
    json_object_set_new(input, "integrationId", json_string(scm));
    provider_call_in_job(provider_call_new(env->loop, p, fn, config, NULL, input, NULL, NULL), j);
    return ERR_OK;
}

/* Starts the provider call of j's step on the release's SCM connection (j parks). */
static enum err_code start_call(const struct release_env *env, struct job *j, const struct kick *k, struct err *err)
{
    const char *branch = json_string_value(json_object_get(j->payload, "branch"));
    const char *tag = json_string_value(json_object_get(j->payload, "tag"));

    if (j->step == STEP_RESOLVE)
        return release_scm_call(env, j, k->scm, RELEASE_SCM_RESOLVE, json_pack("{s:s}", "ref", k->base_ref), NULL, err);
    return release_scm_call(env, j, k->scm, j->step == STEP_BRANCH ? RELEASE_SCM_BRANCH : RELEASE_SCM_TAG,
                            json_pack("{s:s, s:s}", "name", j->step == STEP_BRANCH ? branch : tag, "sha",
                                      j->step == STEP_BRANCH ? k->base_commit : k->branch_commit),
                            NULL, err);
}

/* The step's outcome: recorded, then on to the next step, a retry later, or the end. */
static void finish_call(const struct release_env *env, struct job *j, const char *release, struct provider_call *call)
{
    const char *sha = json_string_value(json_object_get(call->output, "sha"));
    struct record r = {.job = j,
                       .release = release,
                       .step = step_names[j->step],
                       .message = call->message,
                       .call = call,
                       .sha = sha,
                       .blocked = call->verdict == VERDICT_INVALID || call->verdict == VERDICT_EXPIRED};
    struct err err;

    err_clear(&err);
    if (call->verdict == VERDICT_VALID && (!sha || !sha[0]))
        r.blocked = true, r.message = "the provider answered without a commit";
    if (record(env, &r, &err)) {
        job_fail(j, &err);
    } else if (call->verdict == VERDICT_NONE) {
        err_set(&err, ERR_UNAVAILABLE, "%s: %s", step_names[j->step], call->message);
        job_fail(j, &err); /* again after the engine's backoff */
    } else if (r.blocked) {
        log_info("release %s of tenant %s: kickoff blocked at %s: %s", release, j->tenant, step_names[j->step], r.message);
        job_done(j);
    } else {
        job_next(j, j->step + 1);
    }
}

static void add_child(void *ctx, const struct job_new *n, struct err *err)
{
    UNUSED(err);
    job_child(ctx, n);
}

void release_builds_children(const struct release_env *env, struct job *j, const char *release, int next)
{
    struct store_conn *db = NULL;
    struct store_stmt *st;
    int64_t candidate = 0;
    char dedupe[120];
    json_t *payload;
    struct err err;

    err_clear(&err);
    if (store_conn_get(env->store, &db, &err) == ERR_OK &&
        release_builds_jobs(db, j->tenant, release, add_child, j, &err) == ERR_OK &&
        store_select(db, "SELECT candidateNumber FROM releases WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(j->tenant), STORE_TEXT(release)), &st, &err) == ERR_OK) {
        if (store_next(st, &err) == 1)
            candidate = store_col_int(st, 0);
        store_finish(st);
    }
    store_conn_put(db);
    if (err.code) {
        job_fail(j, &err);
        return;
    }
    snprintf(dedupe, sizeof dedupe, RELEASE_NOTES_JOB ":%s:%lld", release, (long long)candidate);
    payload = json_pack("{s:s, s:I}", "releaseId", release, "candidate", (json_int_t)candidate);
    job_child(j, &(struct job_new){
                     .kind = RELEASE_NOTES_JOB, .tenant = j->tenant, .payload = payload, .dedupe_key = dedupe, .max_attempts = 10});
    json_decref(payload);
    job_next(j, next);
}

void release_kickoff_step(void *ctx, struct job *j)
{
    const struct release_env *env = ctx;
    const char *release = json_string_value(json_object_get(j->payload, "releaseId"));
    struct provider_call *call = provider_call_of(j);
    struct store_conn *db = NULL;
    struct kick k;
    struct err err;
    char key[JOB_EVENT_KEY_SIZE];

    err_clear(&err);
    if (!release || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a kickoff: the payload names no release");
        job_fail(j, &err);
        return;
    }
    if (call) {
        finish_call(env, j, release, call);
        return;
    }
    if (j->step == STEP_BUILDS) {
        release_builds_children(env, j, release, STEP_END);
        return;
    }
    if (j->step == STEP_END) {
        job_done(j);
        return;
    }
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        kick_load(db, j->tenant, release, &k, &err);
    store_conn_put(db);
    if (err.code) {
        job_fail(j, &err);
        return;
    }
    if (j->step == STEP_DONE && k.found && strcmp(k.status, "BUILDING") == 0) {
        job_next(j, STEP_BUILDS); /* kickoff-done was recorded by an earlier run of this step */
        return;
    }
    if (!k.found || strcmp(k.status, "KICKOFF") != 0) {
        if (k.found && strcmp(k.status, "PAUSED") == 0) { /* until resumed (or cancelled) */
            snprintf(key, sizeof key, "release-resume:%s", release);
            job_wait(j, j->step, key, JOB_NO_DEADLINE);
            return;
        }
        j->output = json_pack("{s:s}", "status", k.found ? k.status : "GONE");
        job_done(j); /* cancelled, blocked, or already past kickoff */
        return;
    }
    if ((j->step == STEP_RESOLVE && k.base_commit[0]) || (j->step == STEP_BRANCH && k.branch_commit[0]) ||
        (j->step == STEP_TAG && k.tag[0])) {
        job_next(j, j->step + 1); /* done by an earlier run of this step */
        return;
    }
    if (j->step == STEP_DONE) {
        struct record r = {.job = j, .release = release, .step = step_names[STEP_DONE], .message = "kickoff done"};
        if (record(env, &r, &err))
            job_fail(j, &err);
        else
            job_next(j, r.moved ? STEP_BUILDS : STEP_DONE); /* paused meanwhile: it waits */
        return;
    }
    if (start_call(env, j, &k, &err)) { /* else parked: the call runs the step again */
        struct record r = {.job = j, .release = release, .step = step_names[j->step], .message = err.message, .blocked = true};
        struct provider_call none = {.verdict = VERDICT_INVALID, .output = NULL};
        snprintf(none.message, sizeof none.message, "%s", err.message);
        r.call = &none;
        err_clear(&err);
        if (record(env, &r, &err))
            job_fail(j, &err);
        else
            job_done(j);
    }
}
