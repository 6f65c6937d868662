/* deploy_http.h: /api/v1/{tenantId}/hosts, /deployment-scripts and /deployments (docs/api.md, docs/deployments.md). */
#ifndef SLIPWAY_DEPLOY_HTTP_H
#define SLIPWAY_DEPLOY_HTTP_H

#include "http/router.h"

struct deploy_env;
struct jobs;
struct workpool;

/* What the handlers need; called once at start-up, before the routes serve. env, jobs and pool outlive the server. */
void deploy_http_start(const struct deploy_env *env, struct jobs *jobs, struct workpool *pool);

extern const struct schema host_create_schema, host_update_schema, host_key_schema, script_create_schema, script_update_schema,
    deployment_create_schema, deploy_action_schema, deployment_approve_schema, environment_create_schema, environment_update_schema,
    environment_freeze_schema;

enum err_code hosts_list(struct request *req, struct err *err);
enum err_code host_create(struct request *req, struct err *err);
enum err_code host_get(struct request *req, struct err *err);
enum err_code host_patch(struct request *req, struct err *err);
enum err_code host_delete(struct request *req, struct err *err);
enum err_code host_test(struct request *req, struct err *err);       /* connect and log in, now */
enum err_code host_accept_key(struct request *req, struct err *err); /* pin the key the host showed */

enum err_code scripts_list(struct request *req, struct err *err);
enum err_code script_create(struct request *req, struct err *err);
enum err_code script_get(struct request *req, struct err *err);
enum err_code script_patch(struct request *req, struct err *err);
enum err_code script_delete(struct request *req, struct err *err);

enum err_code deployments_list(struct request *req, struct err *err);
enum err_code deployment_create(struct request *req, struct err *err);
enum err_code deployment_get(struct request *req, struct err *err);
enum err_code deployment_cancel(struct request *req, struct err *err);
enum err_code deployment_log_stream(struct request *req, struct err *err); /* the output as Server-Sent Events */
enum err_code deployment_approve(struct request *req, struct err *err);    /* to a protected environment */

enum err_code environments_list(struct request *req, struct err *err);
enum err_code environment_create(struct request *req, struct err *err);
enum err_code environment_get(struct request *req, struct err *err);
enum err_code environment_patch(struct request *req, struct err *err);
enum err_code environment_delete(struct request *req, struct err *err);
enum err_code environment_freeze(struct request *req, struct err *err); /* no deployment to it starts until unfrozen */
enum err_code environment_unfreeze(struct request *req, struct err *err);

#endif
