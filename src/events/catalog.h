/*
 * catalog.h: the events slipway emits, one table in one place (catalog.c;
 * docs/events.md is its reading). Every event has a stable dotted name
 * ("release.kickoff.failed"), the object it is about, and the payload it
 * carries. The validation of a communication integration's notifyOnEvents,
 * of a notification rule's eventPattern, the docs and the UI's checkboxes
 * come from it.
 *
 * Document 001 section 8 names three events with underscores
 * (release_started, build_completed, release_submitted), and the
 * communication integrations' notifyOnEvents took five more of that shape:
 * each is an alias of one dotted name (EVENT_ALIASES).
 */
#ifndef SLIPWAY_EVENTS_CATALOG_H
#define SLIPWAY_EVENTS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

/* X(name, subject, payload fields beyond the common ones, what it says): docs/events.md says when each is emitted. */
#define EVENTS(X)                                                                                                                  \
    X("release.kickoff.started", "release", "", "a release was created; its kickoff (branch, first candidate tag) is queued")      \
    X("release.kickoff.completed", "release", "branch, candidateTag", "the release branch and first candidate tag exist")          \
    X("release.kickoff.failed", "release", "reason", "the SCM refused a kickoff step; the release is BLOCKED")                     \
    X("release.paused", "release", "reason", "an editor paused the release")                                                       \
    X("release.resumed", "release", "", "an editor resumed the release")                                                           \
    X("release.retried", "release", "", "an editor retried a blocked release")                                                     \
    X("release.cancelled", "release", "reason", "an editor cancelled the release")                                                 \
    X("build.completed", "release", "platform, buildNumber, url", "a release candidate's build succeeded")                         \
    X("build.failed", "release", "platform, buildNumber, url, reason", "a release candidate's build failed")                       \
    X("release.approval.requested", "release", "approvalRoles, approvalCount, approversAsked",                                     \
      "a release candidate's builds are done: it waits for its regression approvals")                                              \
    X("release.approved", "release", "approvers", "the regression approvals are in")                                               \
    X("release.submitted", "release", "target, buildNumber", "a build was submitted to a store")                                   \
    X("release.rejected", "release", "target, reason", "a store's review rejected the submission")                                 \
    X("release.candidate.created", "release", "candidateNumber, candidateTag",                                                     \
      "a new release candidate was tagged on the release branch; its builds are queued")                                           \
    X("release.review.started", "release", "target, buildNumber", "a store began reviewing the submitted build")                   \
    X("release.review.approved", "release", "target, buildNumber", "a store's review approved the submitted build")                \
    X("release.submission.failed", "release", "reason", "a store refused to take the build: the submission failed")                \
    X("rollout.updated", "release", "target, fraction", "a staged rollout moved")                                                  \
    X("release.finished", "release", "finalTag", "the final tag is made")                                                          \
    X("release.released", "release", "", "every platform's store released the build to all its users")                             \
    X("webhook.endpoint.disabled", "webhook_endpoint", "endpointId, reason, failures", "a failing webhook endpoint was disabled")  \
    X("integration.status.changed", "integration", "integration", "an integration's verification status changed")                  \
    X("release.health.breached", "release", "metric, value, threshold, since, halted",                                             \
      "a staged rollout's health rule was breached for its window: the rollouts were halted")                                      \
    X("deployment.succeeded", "deployment", "deployment", "a deployment's every step succeeded")                                   \
    X("deployment.failed", "deployment", "deployment", "a deployment failed or partially failed")                                  \
    X("deployment.cancelled", "deployment", "deployment", "an editor cancelled a deployment")                                      \
    X("deployment.started", "deployment", "deployment", "a deployment's first step began to run")                                  \
    X("deployment.approval.requested", "deployment", "deployment, approverRoles, requiredApprovals, approversAsked",               \
      "a deployment awaits approval")                                                                                              \
    X("domain.proof.lost", "domain", "kind, hostName, siteId, providerId, method, failures, lastError",                            \
      "a proven domain's proof stayed gone: the site domain is FAILED, or the SSO domain unproven")

/* X(alias, dotted name): the names of document 001 and of notifyOnEvents before the catalogue. */
#define EVENT_ALIASES(X)                                                                                                           \
    X("release_started", "release.kickoff.started")                                                                                \
    X("build_completed", "build.completed")                                                                                        \
    X("build_failed", "build.failed")                                                                                              \
    X("release_submitted", "release.submitted")                                                                                    \
    X("release_approved", "release.approved")                                                                                      \
    X("release_rejected", "release.rejected")                                                                                      \
    X("rollout_updated", "rollout.updated")                                                                                        \
    X("release_completed", "release.finished")

struct event_def {
    const char *name;    /* "release.kickoff.failed" */
    const char *subject; /* "release", "build" */
    const char *fields;  /* the payload's own fields, beyond the common ones (docs/events.md) */
    const char *help;
};

extern const struct event_def events_catalog[];
extern const size_t events_count;

/* Every alias, NULL-terminated. */
extern const char *const events_aliases[];
/*
 * Every dotted name, then every alias, NULL-terminated: the values
 * notifyOnEvents may hold (the web UI offers the names, reading the
 * catalogue; integrations saved before keep their aliases).
 */
extern const char *const events_names_and_aliases[];
/* The alias of a dotted name, or NULL when it has none. */
const char *events_alias_of(const char *name);

/* The entry of a dotted name or an alias, or NULL. */
const struct event_def *events_find(const char *name);
/* The dotted name an alias or a name stands for, or NULL when it is neither. */
const char *events_canonical(const char *name);
/*
 * True when pattern is "*", a dotted name of the catalogue, or a prefix
 * ending in ".*" that some name of the catalogue starts with ("release.*",
 * "release.kickoff.*").
 */
bool events_pattern_valid(const char *pattern);
/* True when name (a dotted name) matches pattern (valid as above). */
bool events_pattern_matches(const char *pattern, const char *name);

#endif
