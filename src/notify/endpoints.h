/*
 * endpoints.h: outbound webhooks (issue 16, docs/notifications.md): the
 * endpoints a tenant has slipway post its events to, each with its event
 * patterns and a signing secret of its own, and one delivery per (event,
 * endpoint).
 *
 * A delivery is signed as the Standard Webhooks convention says
 * (https://www.standardwebhooks.com/): headers webhook-id (the delivery's
 * id, the same on every attempt, so a receiver can drop a repeat),
 * webhook-timestamp (seconds, of the attempt) and webhook-signature
 * ("v1," and the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" under the
 * secret's bytes: the secret is "whsec_" and their base64; during a
 * rotation's overlap a second one under the old secret, space-separated). The body is the
 * event's payload (docs/events.md).
 *
 * Deliveries are created by notify_emit in the transaction of the change,
 * each with a durable job ("webhook-delivery", dedupe key
 * "webhook-delivery:<deliveryId>"), so there is one per event and endpoint
 * whichever process restarts. The job posts through the outbound loop
 * (its SSRF guard refuses private and special addresses unless
 * SLIPWAY_OUTBOUND_ALLOW names them), parked while the endpoint answers,
 * and records each attempt (status, attempts, responseCode, lastError). A
 * 2xx delivers; anything else is tried again after 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h and 10 h (about a day, ENDPOINT_MAX_ATTEMPTS in all), then
 * FAILED; an address the guard refuses fails at once.
 *
 * Every attempt counts toward its endpoint's run of failures (failureCount,
 * since failingSince; a 2xx ends it). A run of at least disable_failures
 * attempts (struct notify_env) that spans disable_period seconds disables
 * the endpoint (disabledAt, disabledReason), marks its unfinished
 * deliveries FAILED (kept: redelivered once it is on again), and emits
 * ENDPOINT_DISABLED_EVENT. A PUT with enabled true starts a new count.
 */
#ifndef SLIPWAY_NOTIFY_ENDPOINTS_H
#define SLIPWAY_NOTIFY_ENDPOINTS_H

#include "store/store.h"

#define ENDPOINT_DELIVERY_JOB "webhook-delivery" /* payload: deliveryId */
#define ENDPOINT_MAX_ATTEMPTS 8
#define ENDPOINT_IN_FLIGHT_MAX 8 /* one endpoint's deliveries a process has out at once (endpoints.c, "flights") */
/* The event of an endpoint that kept failing, disabled (docs/notifications.md). */
#define ENDPOINT_DISABLED_EVENT "webhook.endpoint.disabled"
#define ENDPOINT_SECRET_BYTES 24
/* "whsec_" and the base64 of the secret's bytes. */
#define ENDPOINT_SECRET_SIZE (6 + (ENDPOINT_SECRET_BYTES + 2) / 3 * 4 + 1)
/* "v1," and the base64 of an HMAC-SHA256. */
#define ENDPOINT_SIGNATURE_SIZE (3 + 44 + 1)

struct jobs;
struct job;

/* The longest a rotated secret keeps signing beside its successor: a week. */
#define ENDPOINT_MAX_OVERLAP 604800

struct keyring;

/* Where a secret is stored: bound to its tenant, table, column and endpoint. */
#define ENDPOINT_SECRET_PLACE(tenant, id) ((struct secret_place){tenant, "webhook_endpoints", "secret", id})
/* Where the rotated-out secret is kept during its overlap. */
#define ENDPOINT_PREVIOUS_PLACE(tenant, id) ((struct secret_place){tenant, "webhook_endpoints", "previousSecret", id})

/* A fresh secret, "whsec_<base64 of 24 random bytes>", into out. */
void endpoints_secret_new(char out[ENDPOINT_SECRET_SIZE]);
/*
 * The webhook-signature of body (len bytes) for the delivery id at
 * timestamp (seconds) under secret ("whsec_..."), into out. ERR_INVALID when
 * secret is not one of that form.
 */
enum err_code endpoints_sign(const char *secret, const char *id, long long timestamp, const char *body, size_t len,
                             char out[ENDPOINT_SIGNATURE_SIZE], struct err *err);

/*
 * Rotation, in c's transaction: stored (the new secret, encrypted at
 * ENDPOINT_SECRET_PLACE) replaces the endpoint's; with overlap seconds > 0
 * the old one is kept (at ENDPOINT_PREVIOUS_PLACE) and signs beside it until
 * now + overlap, else it stops at once. *changes: the rows changed (0: no
 * such endpoint).
 */
enum err_code endpoints_secret_rotate(struct store_conn *c, const struct keyring *keys, const char *tenant, const char *id,
                                      const char *stored, long long overlap, const char *now, int64_t *changes, struct err *err);

/* The ids of tenant's enabled endpoints whose patterns match event. *ids is malloc'ed (caller frees). */
enum err_code endpoints_matching(struct store_conn *c, const char *tenant, const char *event, char (**ids)[UUID_SIZE], size_t *n,
                                 struct err *err);
/* A delivery of the event (event_id, its name) to endpoint, and its job, in c's transaction; its id into delivery. */
enum err_code endpoints_delivery_add(struct store_conn *c, struct jobs *jobs, const char *tenant, const char *endpoint,
                                     const char *event_id, const char *event, const char *now, char delivery[UUID_SIZE],
                                     struct err *err);

/*
 * Redelivery of a finished (DELIVERED or FAILED) delivery of endpoint, in
 * c's transaction: PENDING again, and a job that makes one more attempt,
 * with the same webhook-id (so a receiver that has it drops it).
 * ERR_NOT_FOUND when tenant's endpoint has no such delivery, ERR_CONFLICT
 * while it is still being attempted.
 */
enum err_code endpoints_redeliver(struct store_conn *c, struct jobs *jobs, const char *tenant, const char *endpoint,
                                  const char *delivery, struct err *err);

/* The job kind's step; ctx is a struct notify_env (notify.h). */
void endpoints_delivery_step(void *ctx, struct job *j);

#endif
