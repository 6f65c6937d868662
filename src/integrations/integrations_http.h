/* integrations_http.h: the integration types and the category endpoints (document 002). */
#ifndef SLIPWAY_INTEGRATIONS_HTTP_H
#define SLIPWAY_INTEGRATIONS_HTTP_H

#include "http/router.h"
#include "tenancy/roles.h"

struct keyring;

/* The keyring the handlers read and write credentials with (borrowed); before the server starts. */
void integrations_http_start(const struct keyring *keys);

enum err_code integration_types_get(struct request *req, struct err *err);
enum err_code integrations_post(struct request *req, struct err *err);
enum err_code integrations_list(struct request *req, struct err *err);
enum err_code integration_get(struct request *req, struct err *err);
enum err_code integration_patch(struct request *req, struct err *err);
enum err_code integration_delete_http(struct request *req, struct err *err);

#endif
