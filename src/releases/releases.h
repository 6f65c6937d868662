/*
 * releases.h: a tenant's releases (issue 14, docs/releases.md): the model's
 * SQL, the timeline, and kickoff as a durable workflow of the job engine.
 *
 * Kickoff ("release-kickoff") is one job per release, created in the same
 * transaction as the release. Its steps each do one provider call through
 * the release's SCM connection (providers/provider.h's ref ops), record
 * the outcome on the release and in its timeline, and go on:
 *
 *     0 resolve the base ref -> baseCommit
 *     1 make the release branch at it -> branchCommit
 *     2 tag the first candidate -> candidateTag, candidateNumber 1
 *     3 KICKOFF -> BUILDING (lifecycle.h), kickoffAt
 *
 * A step whose result the release already holds is skipped, and the
 * provider ops read before they write, so a step run again (a crash, a
 * retry) repeats no side effect. A provider that does not answer is retried
 * with the engine's backoff; a refusal (a branch at another commit, an
 * unknown base) blocks the release with the reason. A paused release's job
 * waits for resume; a cancelled one's ends.
 */
#ifndef SLIPWAY_RELEASES_H
#define SLIPWAY_RELEASES_H

#include "providers/call.h"
#include "store/store.h"

#define RELEASE_KICKOFF_JOB "release-kickoff"     /* payload: releaseId, branch, tag */
#define RELEASE_BUILD_JOB "release-build"         /* payload: releaseId, buildId (builds.c) */
#define RELEASE_CONFIG_SIGNAL "release-config:"   /* + tenant id: the release configuration changed */
#define RELEASE_CANDIDATE_JOB "release-candidate" /* payload: releaseId, from (the candidate number), commit (its) */
#define RELEASE_FINISH_JOB "release-finish"       /* payload: releaseId */
#define RELEASE_NOTES_JOB "release-notes"         /* payload: releaseId, candidate */
#define RELEASE_BUILD_TIMEOUT_DEFAULT 120         /* minutes: buildTimeoutMinutes without a configuration */
#define RELEASE_TRAIN_JOB "release-train"         /* payload: slot (train.c) */
#define RELEASE_TRAIN_GRACE_MS (3600 * 1000LL)    /* a slot fires up to this late (a process down at its time), else is skipped */
#define RELEASE_IDEMPOTENCY_MS (86400 * 1000LL)   /* an Idempotency-Key answers the same release this long */
#define RELEASE_VERSION_SIZE 65
#define RELEASE_TRAIN_ACTOR "release train" /* the train's actor in the audit trail (no account) */

struct jobs;
struct request;
struct keyring;

/* What the kickoff kind needs; its ctx. */
struct release_env {
    struct store *store;
    const struct keyring *keys;
    const struct provider_loop *loop;
};

void release_kickoff_step(void *ctx, struct job *j);

/*
 * A new candidate (candidates.c): read the release branch's head; the
 * current candidate's commit -> a refusal on the timeline, nothing changes;
 * else tag it as candidate from + 1 (the release's kept template), move
 * REGRESSION or READY -> BUILDING and add that candidate's builds, then
 * their jobs.
 */
void release_candidate_step(void *ctx, struct job *j);
/*
 * Finish (candidates.c): the final tag at the candidate's commit, the
 * provider's release of it with the notes (where the SCM has releases),
 * then READY -> FINISHED. A refusal leaves the release READY.
 */
void release_finish_step(void *ctx, struct job *j);

/*
 * The notes of a candidate (notes.c): the SCM's compare from the previous
 * finished release's final tag (else the release's base commit) to the
 * candidate's commit, as Markdown on the release, unless a person edited
 * the notes or a newer candidate exists. A child of the workflow that made
 * the candidate (release_builds_children).
 */
void release_notes_step(void *ctx, struct job *j);
/* The notes' Markdown: a heading, one line a commit (short sha, first line), the ticket keys found. Caller frees. */
char *release_notes_markdown(const char *version, const char *since, const json_t *commits);

/* The SCM ops a release step calls (providers/provider.h). */
enum release_scm_op { RELEASE_SCM_RESOLVE, RELEASE_SCM_BRANCH, RELEASE_SCM_TAG, RELEASE_SCM_COMPARE, RELEASE_SCM_RELEASE };
/*
 * Starts op of the SCM connection scm (an id of the tenant's) with input
 * (stolen; "integrationId" is added) as j's provider call: j parks, and its
 * step runs again with provider_call_of(j) once the call ended. ERR_CONFLICT
 * when the connection is gone or its provider has no such op (then *missing,
 * when given, is true).
 */
enum err_code release_scm_call(const struct release_env *env, struct job *j, const char *scm, enum release_scm_op op, json_t *input,
                               bool *missing, struct err *err);

/*
 * The build stage (builds.c, docs/releases.md "Builds"). Each build of a
 * candidate is a release_builds row and one "release-build" job: it
 * triggers the pipeline that builds the platform (the configuration's
 * platformPipelines, else the tenant's active pipeline of that platform)
 * on the release branch with version, candidate and buildNumber, its
 * correlation id the row's id (so a trigger run again finds the run it
 * started: pipelines.h); then it waits for the build webhook's signal
 * ("build:<pipelineId>:<runId>") until a deadline and, when none came,
 * asks the CI (5 s, doubling up to 5 min). Every outcome is on the timeline;
 * the last build in moves the release (release_builds_settle).
 */
void release_build_step(void *ctx, struct job *j);
struct job_new;
/*
 * Inside the caller's transaction: a PENDING build of the release's current
 * candidate for each of its platforms that has none; with retry, also for
 * each whose latest attempt failed or was cancelled (attempt + 1).
 */
enum err_code release_builds_add(struct store_conn *c, const char *tenant, const char *release, bool retry, struct err *err);
/* Calls add with the job of every PENDING build of the release (deduplicated by the build: safe to repeat). */
enum err_code release_builds_jobs(struct store_conn *c, const char *tenant, const char *release,
                                  void (*add)(void *ctx, const struct job_new *n, struct err *err), void *ctx, struct err *err);
/*
 * A workflow's step: the job of every PENDING build of the release, and the
 * current candidate's notes job, as j's children (made with its next save),
 * then step next.
 */
void release_builds_children(const struct release_env *env, struct job *j, const char *release, int next);
/*
 * Inside the caller's transaction: a BUILDING release whose platforms' latest
 * builds of the candidate all succeeded moves to REGRESSION (builds-done);
 * one whose latest build of a platform failed, to BLOCKED (build-failed),
 * which retry brings back to BUILDING. Otherwise nothing changes.
 */
enum err_code release_builds_settle(struct store_conn *c, const char *tenant, const char *release, struct err *err);

/*
 * Inside the delivery's transaction (webhooks_on_build, docs/releases.md "Builds"): a completed run's event ends its
 * build as the build's job would, and ends the job waiting on it; *applied false when it leaves the event to the job.
 */
struct provider_event;
enum err_code release_builds_webhook(struct store_conn *c, const char *tenant, const char *integration_id,
                                     const struct provider_event *ev, bool *applied, struct err *err);

/*
 * Inside the caller's transaction (a release cancelled): wakes every build
 * of the release waiting on its CI run, which then cancels the run and ends.
 */
enum err_code release_builds_wake(struct store_conn *c, const char *tenant, const char *release, struct err *err);

/* "{version}" and "{n}" of template filled in, into out (n bytes); false when it does not fit. */
bool release_template(const char *template, const char *version, int candidate, char *out, size_t n);
/*
 * The release's names as it was created: its branch, candidate's tag and final
 * tag (templates kept on the release; a release made before they were kept
 * takes the configuration's), each into 256 bytes, any NULL. ERR_NOT_FOUND
 * for no such release; ERR_CONFLICT for a name that does not fit.
 */
enum err_code release_names_of(struct store_conn *c, const char *tenant, const char *release, int candidate, char *branch,
                               char *tag, char *final, struct err *err);
/* The final tag of the tenant's last finished release into out (n bytes; "" when none has finished): a hotfix's base, the notes'
 * start. */
enum err_code release_last_final_tag(struct store_conn *db, const char *tenant, char *out, size_t n, struct err *err);
/* NULL when version is one of scheme ("SEMVER": 1.2.3[-pre], "CALVER": 2026.12[.3]); else what is wrong. */
const char *release_version_problem(const char *scheme, const char *version);

/*
 * A new release and its kickoff, as POST .../releases makes it
 * (releases_http.c): the version checked against the scheme ("next": the
 * next one, release_next_version), can-create-releases asked, the SCM
 * picked; the release, its first timeline entry, its kickoff job and the
 * audit row in one transaction, with also(c, also_ctx) when given. With
 * an idempotency key, a release made with it in the last 24 hours is
 * answered instead (its id in id), and none is made.
 */
struct release_new {
    const char *tenant;
    json_t *body; /* {version, releaseType, platforms, baseRef?, targetDate?, scmIntegrationId?}, checked by the schema */
    const struct request *req;   /* for the audit row; NULL: the train (its actor is "release train") */
    const char *actor;           /* the account that asked; NULL: the train */
    const char *train_slot;      /* the train's slot (a timestamp) that starts it, else NULL */
    const char *idempotency_key; /* else NULL */
    store_tx_fn also;            /* may be NULL */
    void *also_ctx;
};
enum err_code release_create(struct store_conn *db, const struct release_new *n, char id[UUID_SIZE], struct err *err);

/*
 * Release trains (train.c, docs/releases.md "Scheduled trains"). One
 * "release-train" job a tenant's slot, deduplicated on tenant and slot, due
 * at the slot: it starts a release (release_create with the train's slot,
 * so a slot makes one release whatever runs it twice) unless the schedule
 * no longer has that slot, or the slot is more than RELEASE_TRAIN_GRACE_MS
 * late; then, in the same transaction, the next slot's job.
 */
void release_train_step(void *ctx, struct job *j);
/* The engine a train's step queues the next slot's job on (releases_http_start calls it). */
void release_trains_start(struct jobs *q);
/*
 * The job of every schedule's next slot, made once (start-up: a schedule
 * saved before trains existed had none). A failure is logged: the next save
 * of the schedule, or the next start, queues it.
 */
void release_trains_resume(struct store *s);
/* The first slot of schedule ({weekday, time}, UTC) after after_ms; -1 for a schedule that is not one. */
int64_t release_train_slot_after(const json_t *schedule, int64_t after_ms);
/* Inside the caller's transaction: the job of schedule's first slot after after_ms (none twice for a slot). */
enum err_code release_train_schedule(struct store_conn *c, struct jobs *q, const char *tenant, const json_t *schedule,
                                     int64_t after_ms, struct err *err);
/*
 * The version after versions (the tenant's, any order) by scheme: SEMVER
 * bumps the highest's major, minor or patch by type (HOTFIX: patch; none
 * yet: from 0.0.0); CALVER is now's YYYY.MM, else YYYY.MM.N past that
 * month's highest N.
 */
void release_version_next(const char *scheme, const char *type, int64_t now_ms, const char *const *versions, size_t n,
                          char out[RELEASE_VERSION_SIZE]);
/* The same over the tenant's releases. */
enum err_code release_next_version(struct store_conn *db, const char *tenant, const char *scheme, const char *type,
                                   char out[RELEASE_VERSION_SIZE], struct err *err);

/* Columns first, first + 1, ... of the current row as text ("" for NULL) into (char *out, size_t n) pairs ended by NULL. */
void release_cols(struct store_stmt *st, int first, ...);

/* Appends one event to a release's timeline (inside the caller's transaction); actor NULL: slipway itself. */
struct release_event_row {
    const char *kind, *name, *outcome, *from, *to, *message;
    const json_t *details; /* borrowed; may be NULL */
    const char *actor;
};
enum err_code release_event_add(struct store_conn *c, const char *tenant, const char *release, const struct release_event_row *e,
                                struct err *err);

#endif
