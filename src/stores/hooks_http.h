/* hooks_http.h: /api/v1/{tenantId}/integrations/targets/{id}/webhook/registration (docs/api.md, docs/stores.md). */
#ifndef SLIPWAY_STORES_HOOKS_HTTP_H
#define SLIPWAY_STORES_HOOKS_HTTP_H

#include "http/router.h"

struct jobs;

/* The workflow engine registrations are enqueued on (and a rotated secret's hook); once at start-up (stores_http_start). */
void store_webhooks_http_start(struct jobs *jobs);

extern const struct schema store_webhook_schema;

enum err_code store_webhook_get(struct request *req, struct err *err);
enum err_code store_webhook_register(struct request *req, struct err *err);
enum err_code store_webhook_unregister(struct request *req, struct err *err);

#endif
