/*
 * notify.h: notifications (issue 16, docs/notifications.md): events of the
 * catalogue (events/catalog.h) told to people through a tenant's
 * communication integrations, by its rules (event pattern -> integration and
 * channel).
 *
 * Emitting is one call in the transaction that makes the change
 * (notify_emit: any module; notify_release_change, from the release
 * timeline, is one of its users): it writes the event
 * (the outbox, notification_events), one delivery row per matching rule,
 * and one durable job per delivery ("notify-delivery", dedupe key
 * "notify-delivery:<deliveryId>"), so a delivery exists exactly when its
 * change does, and exactly once, whichever process restarts.
 *
 * A delivery job posts through the integration's chat ops
 * (providers/provider.h): on Slack one thread per release in each channel
 * (the first event posts the root; later ones reply in its thread, then
 * update the root with chat.update), on Teams an Adaptive Card. Deliveries
 * of one release to one channel go in order: a job waits (a signal,
 * "notify-delivered:<id>") for the one before it. A 429 waits its
 * Retry-After; no answer is retried with the engine's backoff, up to
 * NOTIFY_MAX_ATTEMPTS; a refusal (an unknown channel, a revoked token)
 * fails the delivery at once. Each outcome is in the delivery log (status,
 * attempts, last error, the provider's message id).
 */
#ifndef SLIPWAY_NOTIFY_H
#define SLIPWAY_NOTIFY_H

#include "providers/call.h"
#include "store/store.h"

#define NOTIFY_DELIVERY_JOB "notify-delivery" /* payload: deliveryId */
#define NOTIFY_MAX_ATTEMPTS 8

struct jobs;
struct job;
struct keyring;

/* What the delivery kind needs; its ctx. */
struct notify_env {
    struct store *store;
    const struct keyring *keys;
    const struct provider_loop *loop;
    int disable_failures, disable_period; /* an outbound webhook endpoint is disabled after so many failures over so long (s) */
};

/*
 * SLIPWAY_PUBLIC_URL (the links in messages start with it; "" for none; it
 * must outlive the engine) and whether the instance sends mail
 * (SLIPWAY_SMTP_URL is set: approvers are asked by mail, approvals.h);
 * called once at start-up, before notify_start.
 */
void notify_configure(const char *public_url, bool mail);
/*
 * The engine deliveries are enqueued on, and the keys of outbound webhook
 * endpoints' secrets; called once at start-up (before it, an emit is
 * ERR_UNAVAILABLE: retried).
 */
void notify_start(struct jobs *jobs, const struct keyring *keys);
/* The keys notify_start was given (the endpoints' HTTP handlers encrypt with them). */
const struct keyring *notify_keys(void);
/* Whether the instance sends mail (notify_start's mail). */
bool notify_mail_on(void);
/* The engine notify_start was given (NULL before it). */
struct jobs *notify_jobs(void);

/* Room for a link of notify_link: SLIPWAY_PUBLIC_URL (511 bytes at most) and the page's path. */
#define NOTIFY_LINK_SIZE 700
/*
 * The web UI's page of a tenant's object (ui/app.js routes):
 * "<SLIPWAY_PUBLIC_URL>/#/t/<tenant>/<page>/<id>" (page "deployments"), or
 * "" when SLIPWAY_PUBLIC_URL is not set.
 */
void notify_link(const char *tenant, const char *page, const char *id, char out[NOTIFY_LINK_SIZE]);
struct buf;
/* text with &, <, >, " escaped (a line break as <br>), appended to b: HTML of a message. */
void notify_html_append(struct buf *b, const char *text);

/*
 * Emits event (a dotted name of the catalogue, events/catalog.h: anything
 * else is a programmer's error) about a subject (subject_type "release",
 * "build", "deployment", "store", ...; subject_id its id, a UUID) inside the
 * caller's transaction on c, so it exists exactly when the change does:
 * the payload is fields (borrowed; may be NULL: the event's own fields, as
 * docs/events.md lists them) with the common ones added ("id", "event",
 * "occurredAt", "tenantId"); the event is written to the outbox with one
 * delivery (and its durable job) per matching rule of the tenant, and one
 * per matching enabled outbound webhook endpoint (endpoints.h). No rule
 * and no endpoint: nothing is written. ERR_UNAVAILABLE before notify_start (the caller's step is
 * retried). Deliveries of one subject to one channel go in order.
 */
enum err_code notify_emit(struct store_conn *c, const char *tenant, const char *event, const char *subject_type,
                          const char *subject_id, const json_t *fields, struct err *err);

/* The event a ping is: no event of the catalogue, so no rule or other endpoint ever matches it. */
#define NOTIFY_PING_EVENT "webhook.ping"
/* A ping of one outbound webhook endpoint: an event {"endpointId"} and its delivery to it alone (id into delivery), in c's
 * transaction. */
enum err_code notify_ping(struct store_conn *c, const char *tenant, const char *endpoint, char delivery[UUID_SIZE],
                          struct err *err);
/* endpoints_redeliver (endpoints.h) with the started job queue; ERR_UNAVAILABLE before start-up. */
enum err_code notify_redeliver(struct store_conn *c, const char *tenant, const char *endpoint, const char *delivery,
                               struct err *err);

/*
 * Emits the catalogue event that a release timeline entry (kind, name: see
 * docs/releases.md) stands for, if any, inside the caller's transaction on
 * c, through notify_emit, with {"release": the release as it is now,
 * "message"} as its fields, and the event's own fields (its catalogue row's)
 * that the entry's details (borrowed, may be NULL) hold; a `reason` they do
 * not hold is the entry's message (a failure's, a rejection's). A timeline
 * entry that is no event of the catalogue (a provider call) emits nothing.
 */
enum err_code notify_release_change(struct store_conn *c, const char *tenant, const char *release, const char *kind,
                                    const char *name, const char *message, const json_t *details, struct err *err);

/*
 * A release candidate's build ended: build.completed (succeeded) or
 * build.failed, in the caller's transaction on c, with the subject the
 * release (a Slack thread per release carries its builds) and the fields
 * {"release", "message"} and build's (borrowed: "platform", "buildNumber",
 * "url", and on a failure "reason").
 */
enum err_code notify_build_change(struct store_conn *c, const char *tenant, const char *release, bool succeeded,
                                  const json_t *build, const char *message, struct err *err);

/*
 * An integration's verification status changed (from -> to, both of
 * NOT_VERIFIED VALID INVALID EXPIRED): integration.status.changed, in the
 * caller's transaction on c, subject the integration, fields
 * {"integration": {"id", "category", "type", "from", "to"}, "message"}.
 * Nothing when from equals to.
 */
enum err_code notify_integration_status(struct store_conn *c, const char *tenant, const char *category, const char *type,
                                        const char *id, const char *from, const char *to, const char *message, struct err *err);

/*
 * The durable job of a delivery, in c's transaction: kind with payload
 * {"deliveryId"} and dedupe key "<kind>:<delivery>", so one exists per
 * delivery whatever runs twice.
 */
enum err_code notify_job_add(struct store_conn *c, struct jobs *q, const char *kind, const char *tenant, const char *delivery,
                             int max_attempts, struct err *err);

void notify_delivery_step(void *ctx, struct job *j);

#endif
