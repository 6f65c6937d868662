/* integrations_http.h: the integration types and the category endpoints (document 002). */
#ifndef SLIPWAY_INTEGRATIONS_HTTP_H
#define SLIPWAY_INTEGRATIONS_HTTP_H

#include "http/router.h"
#include "tenancy/roles.h"

struct keyring;

/* The keyring the handlers read and write credentials with (borrowed); before the server starts. */
void integrations_http_start(const struct keyring *keys);

/*
 * What runs inside the transaction that deletes an integration, before its row goes, with the keyring its credentials
 * are read with: the stores module has a target's webhook deleted at its store (src/stores/hooks.c). Set once at
 * start-up, before the routes serve; NULL: none.
 */
struct category;
typedef enum err_code (*integrations_deleting_fn)(struct store_conn *c, const struct keyring *keys, const struct category *cat,
                                                  const char *tenant_id, const char *id, struct err *err);
void integrations_on_delete(integrations_deleting_fn fn);

enum err_code integration_types_get(struct request *req, struct err *err);
enum err_code integrations_post(struct request *req, struct err *err);
enum err_code integrations_list(struct request *req, struct err *err);
enum err_code integration_get(struct request *req, struct err *err);
enum err_code integration_patch(struct request *req, struct err *err);
enum err_code integration_delete_http(struct request *req, struct err *err);

#endif
