/* releases_http.h: /api/v1/{tenantId}/releases and the release configuration (docs/api.md, docs/releases.md). */
#ifndef SLIPWAY_RELEASES_HTTP_H
#define SLIPWAY_RELEASES_HTTP_H

#include "http/router.h"

struct jobs;

/* The workflow engine kickoffs and actions are enqueued on; called once at start-up, before the routes serve. */
void releases_http_start(struct jobs *jobs);

extern const struct schema release_create_schema, release_config_schema, release_action_schema, release_approve_schema,
    release_patch_schema;

enum err_code releases_list(struct request *req, struct err *err);
enum err_code releases_create(struct request *req, struct err *err);
enum err_code release_get(struct request *req, struct err *err);
enum err_code release_action(struct request *req, struct err *err);
/* POST .../releases/{releaseId}/approve: an approval of the current candidate by a role among the configuration's approvalRoles. */
enum err_code release_approve(struct request *req, struct err *err);
/* POST .../releases/{releaseId}/archive and /unarchive: a FINISHED or CANCELLED release hidden from (or back in) the list. */
enum err_code release_archive(struct request *req, struct err *err);
enum err_code release_unarchive(struct request *req, struct err *err);
/* PATCH .../releases/{releaseId} {notes}: a person's notes, kept from then on; until the release is finished or cancelled. */
enum err_code release_patch(struct request *req, struct err *err);
enum err_code release_stream(struct request *req, struct err *err); /* the timeline as Server-Sent Events */
enum err_code release_config_get(struct request *req, struct err *err);
enum err_code release_config_put(struct request *req, struct err *err);

/* The actions a release takes (POST .../releases/{releaseId}/{action}), for the route table's parameter values. */
extern const char *const release_actions[];

#endif
