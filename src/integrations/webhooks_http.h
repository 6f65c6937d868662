/* webhooks_http.h: the signed inbound webhooks and their management (docs/api.md, "Webhooks"). */
#ifndef SLIPWAY_WEBHOOKS_HTTP_H
#define SLIPWAY_WEBHOOKS_HTTP_H

#include "http/router.h"

/* POST /hooks/v1/{hookId}: a delivery, admitted by its signature (webhooks_admit). */
enum err_code webhook_receive(struct request *req, struct err *err);
/*
 * GET /api/v1/{tenantId}/integrations/{category}/{id}/webhook: its path and
 * whether it has a secret, never the secret (nulls when it has none, as has
 * every integration whose type takes no webhooks).
 */
enum err_code webhook_get(struct request *req, struct err *err);
/* POST the same: makes the webhook, or gives it a new secret; the secret is in this answer only. */
enum err_code webhook_post(struct request *req, struct err *err);

#endif
