/* setup_http.h: the setup wizard's endpoints (document 001 section 9) and can-create-releases (document 000). */
#ifndef SLIPWAY_SETUP_HTTP_H
#define SLIPWAY_SETUP_HTTP_H

#include "http/router.h"
#include "tenancy/roles.h"

struct keyring;
struct revcache;

/* The status cache (setup_get) and the credentials' keyring the handlers use (borrowed); before the server starts. */
void setup_http_start(struct revcache *status_cache, const struct keyring *keys);

enum err_code setup_get(struct request *req, struct err *err);
enum err_code setup_post(struct request *req, struct err *err);
enum err_code setup_step_put(struct request *req, struct err *err);
enum err_code setup_can_create_releases(struct request *req, struct err *err);
/* Why the tenant cannot create a release (document 000's last query), appended to reasons; none: it can. */
enum err_code setup_release_blockers(struct store_conn *db, const char *tenant, json_t *reasons, struct err *err);

#endif
