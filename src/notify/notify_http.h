/* notify_http.h: /api/v1/{tenantId}/notification-rules, /notification-deliveries and the event catalogue (docs/api.md). */
#ifndef SLIPWAY_NOTIFY_HTTP_H
#define SLIPWAY_NOTIFY_HTTP_H

#include "http/router.h"

extern const struct schema notification_rule_schema;

enum err_code notification_rules_list(struct request *req, struct err *err);
enum err_code notification_rule_create(struct request *req, struct err *err);
enum err_code notification_rule_get(struct request *req, struct err *err);
enum err_code notification_rule_put(struct request *req, struct err *err);
enum err_code notification_rule_delete(struct request *req, struct err *err);
enum err_code notification_deliveries_list(struct request *req, struct err *err);
enum err_code notification_events_list(struct request *req, struct err *err);

#endif
