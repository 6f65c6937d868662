/*
 * approvals.h: a deployment that waits for its approvals, and a release
 * whose candidate waits for its regression approvals, ask each approver
 * by mail (issue 16, docs/notifications.md "Approvers asked by mail"),
 * through the instance's own mail (SLIPWAY_SMTP_URL, mail.h: the sender of
 * invitations and password resets).
 *
 * In the transaction that makes the deployment AWAITING_APPROVAL (with
 * deployment.approval.requested) one durable job per approver: a member
 * of the tenant whose role is one of the environment's approverRoles,
 * other than the requester, whose account is not disabled. Its dedupe key
 * is "approval-mail:<deployment>:<account>", so one mail a (deployment,
 * approver) whatever runs twice; no answer from the mail server is retried
 * with the engine's backoff. Before it sends, the job reads again: a
 * deployment no longer waiting, an account disabled, no longer an
 * approver, or that has approved already, gets nothing. Without instance
 * mail no job is made. The event says how many were asked
 * (approversAsked).
 *
 * A release: in the transaction that moves it to REGRESSION (with
 * release.approval.requested) one job per member whose role is one of the
 * release configuration's approvalRoles, other than the one who started
 * it, not disabled, who has not approved the current candidate; dedupe key
 * "approval-mail:<release>:<candidate>:<account>", so one mail an approver
 * a candidate. Before it sends, the job reads again, and a release no
 * longer in REGRESSION, on a later candidate, or approved by the account
 * gets nothing.
 */
#ifndef SLIPWAY_NOTIFY_APPROVALS_H
#define SLIPWAY_NOTIFY_APPROVALS_H

#include <jansson.h>

#include "store/store.h"

#define NOTIFY_APPROVAL_MAIL_JOB "approval-mail" /* payload: deploymentId or releaseId, accountId, and the subject's names */
#define NOTIFY_APPROVAL_MAIL_ATTEMPTS 8

struct job;

/*
 * The mails of deployment.approval.requested, in c's transaction: fields
 * are the event's (approverRoles; deployment: its requestedByAccountId and
 * names), to which approversAsked (how many jobs were made: 0 without
 * instance mail) is added.
 */
enum err_code notify_approvers_ask(struct store_conn *c, const char *tenant, const char *deployment, json_t *fields,
                                   struct err *err);

/*
 * The mails of release.approval.requested, in c's transaction: fields are
 * the event's extra fields (notify_release_approval_fields: approvalRoles,
 * approvalCount), to which approversAsked is added.
 */
enum err_code notify_release_approvers_ask(struct store_conn *c, const char *tenant, const char *release, json_t *fields,
                                           struct err *err);

/* How long the chat user of an address is kept (notification_mentions): found, and found to be no one (s). */
#define NOTIFY_MENTION_TTL_S (24 * 3600)
#define NOTIFY_MENTION_MISS_TTL_S 3600

/*
 * A release whose builds are done waits for its regression approvals: the
 * event, emitted with the timeline's builds-done (same transaction, so
 * once a candidate), carries the release configuration's approvalRoles
 * (none set: NOTIFY_RELEASE_DEFAULT_ROLES, the release settings' default too)
 * and approvalCount.
 */
#define NOTIFY_RELEASE_APPROVAL_EVENT "release.approval.requested"
#define NOTIFY_RELEASE_DEFAULT_ROLES "[\"owner\", \"editor\"]"

/* {"approvalRoles", "approvalCount"} of tenant's release configuration. Caller owns; NULL with err set. */
json_t *notify_release_approval_fields(struct store_conn *c, const char *tenant, struct err *err);

/*
 * Who is still to approve subject of event, an event that asks for
 * approvals, as they are now (any other event: nobody, an empty array):
 * - deployment.approval.requested (subject: the deployment): each member
 *   of the tenant whose role is one of its environment's approverRoles
 *   (none set: editor and owner), other than its requester, who has not
 *   approved it; none once it no longer waits (AWAITING_APPROVAL);
 * - release.approval.requested (subject: the release): each member whose
 *   role is one of the release configuration's approvalRoles who has not
 *   approved its current candidate; none once it is not in REGRESSION.
 * Accounts an administrator disabled are never asked. Each {"accountId",
 * "name", "email"} and, for integration (a communication integration's
 * id, or NULL), what notification_mentions keeps of the address there
 * while it is fresh: "userRef", the chat user's id, or null when the
 * provider knows no one of it (absent: not looked up lately). In the
 * order of account ids. Caller owns; NULL with err set.
 */
json_t *notify_approvers_list(struct store_conn *c, const char *tenant, const char *event, const char *subject,
                              const char *integration, struct err *err);

/* Keeps what integration's provider said of email (userRef: its user's id, or NULL for no one), in c's transaction. */
enum err_code notify_mention_keep(struct store_conn *c, const char *tenant, const char *integration, const char *email,
                                  const char *user_ref, struct err *err);

/* The NOTIFY_APPROVAL_MAIL_JOB step; ctx is a struct mail_env (mail.h). */
void notify_approval_mail_step(void *ctx, struct job *j);

#endif
