/* verify_http.h: the verification endpoints (docs/verification.md). */
#ifndef SLIPWAY_VERIFY_HTTP_H
#define SLIPWAY_VERIFY_HTTP_H

#include "http/router.h"

struct jobs;
struct keyring;
struct provider_loop;

/* The engine verifications run on, the credentials' keyring and the outbound loop (borrowed); before the server starts. */
void verify_http_start(struct jobs *jobs, const struct keyring *keys, const struct provider_loop *loop);

/* POST /api/v1/setup/verify-{kind}: the tenant is named in the body (tenantId, with config or integrationId). */
extern const struct schema verify_setup_schema;
enum err_code verify_setup_post(struct request *req, struct err *err);
/* POST /api/v1/{tenantId}/integrations/{category}/{id}/verify */
enum err_code verify_one_post(struct request *req, struct err *err);
/* POST /api/v1/{tenantId}/integrations/verify-all */
enum err_code verify_all_post(struct request *req, struct err *err);

#endif
