/* sites_http.h: /api/v1/{tenantId}/sites (settings, posts, domains) (docs/api.md, docs/sites.md). */
#ifndef SLIPWAY_SITES_HTTP_H
#define SLIPWAY_SITES_HTTP_H

#include "http/router.h"

extern const struct schema site_create_schema, site_update_schema, site_settings_schema, post_create_schema, post_update_schema,
    domain_create_schema, site_action_schema, domain_verify_schema;

enum err_code sites_list(struct request *req, struct err *err);
enum err_code site_create(struct request *req, struct err *err);
enum err_code site_get(struct request *req, struct err *err);
enum err_code site_patch(struct request *req, struct err *err);
enum err_code site_delete(struct request *req, struct err *err);
enum err_code site_settings_get(struct request *req, struct err *err);
enum err_code site_settings_put(struct request *req, struct err *err);

enum err_code posts_list(struct request *req, struct err *err);
enum err_code post_create(struct request *req, struct err *err);
enum err_code post_get(struct request *req, struct err *err);
enum err_code post_patch(struct request *req, struct err *err);
enum err_code post_delete(struct request *req, struct err *err);
enum err_code post_restore(struct request *req, struct err *err);

enum err_code domains_list(struct request *req, struct err *err);
enum err_code domain_create(struct request *req, struct err *err);
enum err_code domain_verify(struct request *req, struct err *err);
enum err_code domain_delete(struct request *req, struct err *err);

#endif
