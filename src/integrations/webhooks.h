/*
 * webhooks.h: signed inbound webhooks (docs/internals/router.md, "Route classes"; docs/api.md, "Webhooks").
 *
 * An SCM, pipeline or store target integration whose provider takes webhooks
 * (CAP_WEBHOOK_CHECK) may have one: a hookId, the unguessable part of its
 * URL (POST /hooks/v1/{hookId}, 192 random bits), and a signing secret
 * slipway makes, stored encrypted in integration_webhooks and shown once.
 * A delivery is admitted by the route class ACCESS_WEBHOOK, whose hook is
 * webhooks_admit: the provider's own check of its signature over the raw
 * body, under that secret, in constant time. A checked delivery is parsed
 * by the provider into a normalised event, recorded once per delivery id
 * in webhook_deliveries (a replay or a retry is answered, not applied
 * again), and a build event signals the workflow engine on
 * "build:<integrationId>:<runId>".
 */
#ifndef SLIPWAY_WEBHOOKS_H
#define SLIPWAY_WEBHOOKS_H

#include "http/jsonw.h"
#include "integrations/integrations.h"
#include "providers/provider.h"

struct job;
struct keyring;

/* The recurring job that deletes deliveries older than the retention. */
#define WEBHOOK_PRUNE_JOB "webhook-prune"
#define WEBHOOK_PRUNE_EVERY_S 3600

/* The keyring the secrets are written and read with (borrowed); before the server starts. */
void webhooks_start(const struct keyring *keys);

/*
 * The access hook of ACCESS_WEBHOOK: the path's {hookId} names a webhook
 * of an integration that still exists, and its provider finds a valid
 * signature of the raw body under the webhook's secret, else
 * ERR_UNAUTHENTICATED, one answer for all (an unknown hook, a missing,
 * wrong or stale signature). Then the request's principal names
 * the tenant, the integration and its type; nothing is written.
 */
enum err_code webhooks_admit(struct request *req, struct err *err);

/* The members "deliveryId", "event", "runId", "status", "conclusion", "ref", "sha", "url" of ev ("" as null), into an open object.
 */
void webhooks_event_write(struct jsonw *w, const struct provider_event *ev);
/* The same as an object of its own (a signal's payload). Caller owns. */
json_t *webhooks_event_json(const struct provider_event *ev);

/* How a delivery recorded before is found: by the provider's id of it, or by its signature's digest (the same bytes). */
enum webhook_key { WEBHOOK_BY_ID, WEBHOOK_BY_DIGEST };

/*
 * Whether the integration has recorded the delivery key names (*found),
 * and then, when ev is not NULL, the event recorded for it into ev.
 * Outside a transaction it answers a provider's retry without the write
 * lock; only webhooks_record, inside one, decides that a delivery is new.
 */
enum err_code webhooks_find(struct store_conn *c, const char *tenant_id, const char *integration_id, enum webhook_key by,
                            const char *key, struct provider_event *ev, bool *found, struct err *err);

/*
 * Records ev for the integration once, with digest (its signature's, or
 * "": by it a copy of the same bytes is found before its body is read):
 * *duplicate when its delivery id was seen before (then nothing changes).
 * Run it in tenant_tx: a build event is applied in the same transaction
 * where it can be (webhooks_on_build), else it signals
 * "build:<integrationId>:<runId>" there, with the event; a store event
 * "store:<integrationId>" (what a submission's job waits on between looks
 * at its store: it looks again at once).
 */
enum err_code webhooks_record(struct store_conn *c, const char *tenant_id, const char *integration_id,
                              const struct provider_event *ev, const char *digest, bool *duplicate, struct err *err);

/*
 * What applies a build event inside the transaction that records it (webhooks_record): the releases module ends the
 * build the event completes, and the job waiting on it, there and then (src/releases/builds.c). *applied false: it left
 * the event to the job (nothing of the tenant's changed), which webhooks_record then signals as usual. Set once at
 * start-up, before the routes serve; NULL: every build event is a signal.
 */
typedef enum err_code (*webhooks_build_fn)(struct store_conn *c, const char *tenant_id, const char *integration_id,
                                           const struct provider_event *ev, bool *applied, struct err *err);
void webhooks_on_build(webhooks_build_fn fn);

/*
 * Makes the integration's webhook, or gives the existing one a new secret
 * (its hookId stays). out: {"integrationId", "hookId", "path", "secret",
 * "createdAt", "rotatedAt"}, the secret in it shown this once; *created
 * says which. Caller owns out (wipe the secret: secret_wipe_json).
 */
enum err_code webhooks_issue(struct store_conn *c, const struct request *req, const struct integration_row *r, json_t **out,
                             bool *created, struct err *err);

/* The integration's webhook without its secret ({"hookId": null, ...} for none). Caller owns. */
enum err_code webhooks_describe(struct store_conn *c, const char *tenant_id, const char *integration_id, json_t **out,
                                struct err *err);

/* "/hooks/v1/{hookId}" fits in this. */
#define WEBHOOK_PATH_MAX 128

/*
 * The integration's webhook path ("/hooks/v1/{hookId}") and its secret in plaintext (*secret: free it with
 * plaintext_free as soon as it is used), for registering the webhook with its provider (src/stores/hooks.c).
 * ERR_NOT_FOUND when the integration has no webhook.
 */
struct plaintext;
enum err_code webhooks_secret(struct store_conn *c, const char *tenant_id, const char *integration_id, char path[WEBHOOK_PATH_MAX],
                              struct plaintext **secret, struct err *err);

/*
 * What runs inside the transaction that gives an integration's webhook a new secret (webhooks_issue): the stores
 * module sends it again to the store it is registered with. Set once at start-up, before the routes serve; NULL: none.
 */
typedef enum err_code (*webhooks_rotated_fn)(struct store_conn *c, const char *tenant_id, const char *integration_id,
                                             struct err *err);
void webhooks_on_rotate(webhooks_rotated_fn fn);

/* Forgets the integration's webhook (its integration is being deleted). */
enum err_code webhooks_forget(struct store_conn *c, const char *tenant_id, const char *integration_id, struct err *err);

/* What the prune step needs. */
struct webhooks_prune_env {
    struct store *store;
    int retention_s; /* SLIPWAY_JOB_RETENTION: deliveries older than this are deleted */
};
/* The prune job's step (ctx: a struct webhooks_prune_env). */
void webhooks_prune_step(void *ctx, struct job *j);

#endif
