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

#define RELEASE_KICKOFF_JOB "release-kickoff" /* payload: releaseId, branch, tag */

struct jobs;
struct keyring;

/* What the kickoff kind needs; its ctx. */
struct release_env {
    struct store *store;
    const struct keyring *keys;
    const struct provider_loop *loop;
};

void release_kickoff_step(void *ctx, struct job *j);

/* "{version}" and "{n}" of template filled in, into out (n bytes); false when it does not fit. */
bool release_template(const char *template, const char *version, int candidate, char *out, size_t n);
/* NULL when version is one of scheme ("SEMVER": 1.2.3[-pre], "CALVER": 2026.12[.3]); else what is wrong. */
const char *release_version_problem(const char *scheme, const char *version);

/* Appends one event to a release's timeline (inside the caller's transaction); actor NULL: slipway itself. */
struct release_event_row {
    const char *kind, *name, *outcome, *from, *to, *message;
    const json_t *details; /* borrowed; may be NULL */
    const char *actor;
};
enum err_code release_event_add(struct store_conn *c, const char *tenant, const char *release, const struct release_event_row *e,
                                struct err *err);

#endif
