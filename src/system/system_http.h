/* system_http.h: liveness, readiness and the API description. */
#ifndef SLIPWAY_SYSTEM_HTTP_H
#define SLIPWAY_SYSTEM_HTTP_H

#include "http/router.h"

enum err_code system_healthz(struct request *req, struct err *err);
enum err_code system_readyz(struct request *req, struct err *err);
enum err_code system_openapi_json(struct request *req, struct err *err);
enum err_code system_openapi_yaml(struct request *req, struct err *err);

#endif
