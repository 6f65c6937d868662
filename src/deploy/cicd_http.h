/* cicd_http.h: /api/v1/{tenantId}/cicd-jobs (docs/api.md "CI/CD jobs", docs/deployments.md "CI/CD jobs"). */
#ifndef SLIPWAY_CICD_HTTP_H
#define SLIPWAY_CICD_HTTP_H

#include "http/router.h"

struct jobs;

/* Called once at start-up, before the routes serve; jobs outlives the server. */
void cicd_http_start(struct jobs *jobs);

extern const struct schema cicd_discover_schema;

enum err_code cicd_jobs_list(struct request *req, struct err *err);     /* a page of jobs, and each pipeline's discovery state */
enum err_code cicd_jobs_discover(struct request *req, struct err *err); /* 202 {"jobIds"} */

#endif
