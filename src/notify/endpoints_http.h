/* endpoints_http.h: /api/v1/{tenantId}/webhook-endpoints and /webhook-deliveries: outbound webhooks (docs/api.md). */
#ifndef SLIPWAY_NOTIFY_ENDPOINTS_HTTP_H
#define SLIPWAY_NOTIFY_ENDPOINTS_HTTP_H

#include "http/router.h"

extern const struct schema webhook_endpoint_schema, webhook_endpoint_action_schema, webhook_endpoint_rotate_schema;

enum err_code webhook_endpoints_list(struct request *req, struct err *err);
/* 201 the endpoint with its "secret", shown in this answer only. */
enum err_code webhook_endpoint_create(struct request *req, struct err *err);
enum err_code webhook_endpoint_get(struct request *req, struct err *err);
enum err_code webhook_endpoint_put(struct request *req, struct err *err);
enum err_code webhook_endpoint_delete(struct request *req, struct err *err);
/* A new secret, shown in this answer only; the old one signs beside it for overlapSeconds (default 0: stops at once). */
enum err_code webhook_endpoint_rotate(struct request *req, struct err *err);
/* 202 {deliveryId}: a "webhook.ping" event delivered to this endpoint alone. */
enum err_code webhook_endpoint_ping(struct request *req, struct err *err);
/* 202 {deliveryId}: one more attempt of a finished delivery of this endpoint, with the same webhook-id; 409 while attempted. */
enum err_code webhook_delivery_redeliver(struct request *req, struct err *err);
enum err_code webhook_deliveries_list(struct request *req, struct err *err);

#endif
