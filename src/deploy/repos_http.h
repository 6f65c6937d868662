/* repos_http.h: /api/v1/{tenantId}/repositories (docs/api.md "Repositories", docs/deployments.md "Repositories"). */
#ifndef SLIPWAY_REPOS_HTTP_H
#define SLIPWAY_REPOS_HTTP_H

#include "http/router.h"

struct jobs;

/* Called once at start-up, before the routes serve; jobs outlives the server. */
void repos_http_start(struct jobs *jobs);

extern const struct schema repos_sync_schema;

enum err_code repositories_list(struct request *req, struct err *err); /* the caller's pins first, then a page */
enum err_code repositories_sync(struct request *req, struct err *err); /* 202 {"jobIds"} */
enum err_code repository_pin(struct request *req, struct err *err);    /* PUT pins, DELETE unpins: 204 */

#endif
