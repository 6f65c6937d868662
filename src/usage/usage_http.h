/* usage_http.h: GET /api/v1/{tenantId}/usage (owners) and PUT /api/v1/admin/tenants/{id}/limits (docs/sites.md). */
#ifndef SLIPWAY_USAGE_HTTP_H
#define SLIPWAY_USAGE_HTTP_H

#include "http/router.h"

extern const struct schema usage_limits_schema;

enum err_code usage_get(struct request *req, struct err *err);
enum err_code usage_limits_put(struct request *req, struct err *err);

#endif
