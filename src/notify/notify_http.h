/* notify_http.h: /api/v1/{tenantId}/notification-rules, /notification-deliveries and the event catalogue (docs/api.md). */
#ifndef SLIPWAY_NOTIFY_HTTP_H
#define SLIPWAY_NOTIFY_HTTP_H

#include "http/page.h"
#include "http/router.h"

extern const struct schema notification_rule_schema;

enum err_code notification_rules_list(struct request *req, struct err *err);
enum err_code notification_rule_create(struct request *req, struct err *err);
enum err_code notification_rule_get(struct request *req, struct err *err);
enum err_code notification_rule_put(struct request *req, struct err *err);
enum err_code notification_rule_delete(struct request *req, struct err *err);
enum err_code notification_deliveries_list(struct request *req, struct err *err);
enum err_code notification_events_list(struct request *req, struct err *err);

/* A page of the caller's tenant's rows: sql binds the tenant, then PAGE_ARGS; at_col is createdAt's column, id the first. */
enum err_code notify_page(struct request *req, const char *sql, int at_col, page_row_fn row_fn, struct err *err);

#endif
