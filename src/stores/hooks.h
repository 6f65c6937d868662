/*
 * hooks.h: a store target's own webhook registered with its store (issue 15, docs/stores.md "App Store Connect's
 * webhooks"). The target's webhook (a URL and a secret, integrations/webhooks.h) is sent to the store by slipway: an
 * owner's request (or a rotation of the secret, once registered) writes the target's store_webhook_registrations row
 * and enqueues one "store-webhook" job in the same transaction; the job runs the provider's store_webhook op on the
 * outbound loop (register: the one the store has for the URL updated, else one made; unregister: deleted) and records
 * the store's id of the webhook, or why it failed, on the row. The op reads before it writes, so a run again after a
 * crash makes no second webhook. A job superseded by a later request of the same target records nothing.
 */
#ifndef SLIPWAY_STORES_HOOKS_H
#define SLIPWAY_STORES_HOOKS_H

#include <jansson.h>

#include "store/store.h"

/*
 * payload: integrationId, action ("register", "unregister", or "delete": a deleted target's webhook, with webhookId,
 * path and after, the registration job to wait for; the target's configuration in the job's secrets, "target").
 */
#define STORE_WEBHOOK_JOB "store-webhook"

struct job;
struct jobs;
struct request;

/* The job kind's step (ctx: a struct stores_env, whose public_url makes the webhook's URL). */
void stores_webhook_step(void *ctx, struct job *j);

/*
 * Inside the caller's transaction: the target's registration (or its removal, unregister) asked, by req's owner or,
 * req NULL, by slipway (a rotated secret): its row, its job (*job: the id) and, with req, an audit row.
 */
enum err_code store_webhook_ask(struct store_conn *c, struct jobs *jobs, const struct request *req, const char *tenant,
                                const char *integration, bool unregister, char job[UUID_SIZE], struct err *err);

/*
 * webhooks_on_rotate's hook: inside the rotation's transaction, a target registered (or being registered) with its
 * store is registered again, so the store gets the new secret. jobs: set by store_webhooks_start.
 */
void store_webhooks_start(struct jobs *jobs);

/* {"integrationId", "status" (null: never asked), "appleWebhookId", "jobId", "requestedAt", "registeredAt", "lastError"}. */
enum err_code store_webhook_describe(struct store_conn *c, const char *tenant, const char *integration, json_t **out,
                                     struct err *err);

#endif
