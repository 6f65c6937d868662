/* stores_http.h: /api/v1/{tenantId}/releases/{releaseId}/submissions (docs/api.md, docs/stores.md). */
#ifndef SLIPWAY_STORES_HTTP_H
#define SLIPWAY_STORES_HTTP_H

#include "http/router.h"

struct jobs;

/* The workflow engine submissions and their actions are enqueued on; called once at start-up, before the routes serve. */
void stores_http_start(struct jobs *jobs);

extern const struct schema submission_create_schema, submission_action_schema;

enum err_code submissions_list(struct request *req, struct err *err);
enum err_code submissions_create(struct request *req, struct err *err);
enum err_code submission_get(struct request *req, struct err *err);
enum err_code submission_action(struct request *req, struct err *err);

/* The actions a submission takes (POST .../submissions/{submissionId}/{storeAction}), for the route table's parameter values. */
extern const char *const submission_actions[];

#endif
