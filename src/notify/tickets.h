/*
 * tickets.h: a release's own ticket in each ticket integration of the
 * tenant with autoCreateEpics on (issue 16, docs/notifications.md "Release
 * tickets"): opened when the release kicks off (Jira: with the release's
 * fix version), commented as the release moves, moved to done when it
 * finishes.
 *
 * Each side effect is a durable job ("ticket-sync"), enqueued in the
 * transaction of the timeline entry it stands for, with a dedupe key per
 * (integration, release, event). The opened ticket's key is kept in
 * release_tickets (unique per release and integration); before opening
 * one the job searches the provider for the release's label
 * (TICKETS_LABEL_PREFIX + release id), so a run that opened the ticket and
 * died before recording it finds it instead of opening a second. A comment
 * or a close waits for the ticket to be open (a signal,
 * "ticket-opened:<integration>:<release>"). At finish, a type with the
 * tickets_link op also gets a "fix-versions" job (dedupe key per
 * integration and release): the issues the release's notes name get the
 * release's fix version (Jira, then released) or tag (Azure DevOps, which
 * keeps no release ticket of its own).
 */
#ifndef SLIPWAY_NOTIFY_TICKETS_H
#define SLIPWAY_NOTIFY_TICKETS_H

#include "http/request.h"
#include "store/store.h"

#define TICKETS_JOB "ticket-sync" /* payload: see tickets.c (never a secret) */
#define TICKETS_LABEL_PREFIX "slipway-release-"

struct jobs;
struct job;

/*
 * The ticket jobs event (a catalogue name) about release (rel: the release
 * as notify's payload carries it) stands for, in c's transaction: none for
 * an event that is no ticket's business.
 */
enum err_code tickets_release_event(struct store_conn *c, struct jobs *q, const char *tenant, const char *release,
                                    const char *event, const json_t *rel, const char *message, struct err *err);

/*
 * The "link" job of the timeline entry (kind, name) of release, in c's
 * transaction, for each integration whose type has tickets_link: when the
 * entry is a compare (a candidate's notes made) or a person's edit of the
 * notes, the issues they name get
 * the release's fix version (Jira) or label (Linear) or tag (Azure DevOps)
 * now, not only at finish. Each issue once across kickoff, new candidates and
 * finish and one call each: the job claims the notes' issues in
 * release_ticket_links (with its id) before its call, and links only those.
 */
enum err_code tickets_release_change(struct store_conn *c, struct jobs *q, const char *tenant, const char *release,
                                     const char *kind, const char *name, struct err *err);

/* The job's step; ctx is the struct notify_env (notify.h). */
void tickets_step(void *ctx, struct job *j);

/* ERR_NOT_FOUND unless release is one of tenant's (a release's list in the path: another tenant's answers the same). */
enum err_code tickets_release_found(struct store_conn *db, const char *tenant, const char *release, struct err *err);

/* GET /api/v1/{tenantId}/releases/{releaseId}/tickets (viewers). */
enum err_code release_tickets_list(struct request *req, struct err *err);

#endif
