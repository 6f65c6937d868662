/* notify_http.c: /api/v1/{tenantId}/notification-rules and /notification-deliveries (docs/api.md, docs/notifications.md). */
#include "notify/notify_http.h"

#include "core/clock.h"
#include "core/rand.h"
#include "events/catalog.h"
#include "http/page.h"
#include "providers/registry.h"
#include "tenancy/audit.h"
#include "tenancy/roles.h"
#include "tenancy/tenants.h"

SCHEMA(notification_rule_schema, {.name = "eventPattern", .kind = FIELD_STRING, .required = true, .min = 1, .max = 128},
       {.name = "integrationId", .kind = FIELD_STRING, .required = true, .min = 36, .max = 36, .format = "uuid"},
       {.name = "channel", .kind = FIELD_STRING, .min = 1, .max = 80, .check = check_printable});

#define RULE_COLUMNS "id, eventPattern, integrationId, channel, createdByAccountId, createdAt, updatedAt"

static json_t *rule_row(struct store_stmt *st)
{
    static const char *const cols[] = {"id",        "eventPattern", "integrationId", "channel", "createdByAccountId",
                                       "createdAt", "updatedAt"};
    json_t *row = json_object();
    for (int i = 0; i < (int)ARRAY_LEN(cols); i++)
        json_object_set_new(row, cols[i], json_text_or_null(store_col_text(st, i)));
    return row;
}

enum err_code notify_page(struct request *req, const char *sql, int at_col, page_row_fn row_fn, struct err *err)
{
    struct page p;

    if (page_parse(req, &p, err))
        return err->code;
    return page_respond(req, &p, sql, STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), PAGE_ARGS(&p)), at_col, 0, row_fn, err);
}

enum err_code notification_rules_list(struct request *req, struct err *err)
{
    return notify_page(req,
                       "SELECT " RULE_COLUMNS " FROM notification_rules WHERE tenantId = ? "
                       "AND (createdAt <= ? AND (createdAt < ? OR id < ?)) ORDER BY createdAt DESC, id DESC LIMIT ?",
                       5, rule_row, err);
}

/* The rule (as the list shows it), or NULL with ERR_NOT_FOUND. */
static json_t *rule_load(struct store_conn *db, const char *tenant, const char *id, struct err *err)
{
    return page_row(db, "SELECT " RULE_COLUMNS " FROM notification_rules WHERE tenantId = ? AND id = ?",
                    STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), rule_row, err);
}

enum err_code notification_rule_get(struct request *req, struct err *err)
{
    struct store_conn *db;
    json_t *row;

    if (request_db(req, &db, err) || !(row = rule_load(db, principal_of(req)->tenant_id, request_param(req, "ruleId"), err)))
        return err->code;
    response_json(req, 200, row);
    return ERR_OK;
}

/* The body's problems beyond its schema: the pattern against the catalogue, the integration the tenant's and able to post. */
static enum err_code rule_check(struct store_conn *db, const char *tenant, const json_t *body, struct err *err)
{
    const char *pattern = json_string_value(json_object_get(body, "eventPattern"));
    const char *integration = json_string_value(json_object_get(body, "integrationId"));
    const char *channel = json_string_value(json_object_get(body, "channel"));
    const struct provider *p = NULL;
    struct store_stmt *st;
    int rc;

    if (!events_pattern_valid(pattern))
        err_detail(err, "eventPattern", "must be \"*\", an event of the catalogue (docs/events.md), or a prefix of some with .*");
    if (store_select(db, "SELECT communicationType FROM tenant_communication_integrations WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1)
        p = provider_by_type(store_col_text(st, 0));
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (rc == 0)
        err_detail(err, "integrationId", "is not a communication integration of this tenant");
    else if (!p || !p->ops->chat_post)
        err_detail(err, "integrationId", "is of a type slipway cannot post notifications to yet");
    else if (p->ops->chat_update && !channel)
        err_detail(err, "channel", "is required for %s", p->display);
    else if (!p->ops->chat_update && channel)
        err_detail(err, "channel", "must be absent for %s (its webhook or its recipients say where it goes)", p->display);
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid notification rule");
    return ERR_OK;
}

struct rule_tx {
    const struct request *req;
    const char *id, *action;
    bool create, remove;
    bool found;
};

static enum err_code rule_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct rule_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id;
    const json_t *body = t->req->body;
    const char *pattern = json_string_value(json_object_get(body, "eventPattern"));
    const char *integration = json_string_value(json_object_get(body, "integrationId"));
    const char *channel = json_string_value(json_object_get(body, "channel"));
    char now[TIMESTAMP_SIZE];
    int64_t changes = 0;
    json_t *details;

    clock_now(now);
    if (t->create)
        store_run(c,
                  "INSERT INTO notification_rules (id, tenantId, eventPattern, integrationId, channel, createdByAccountId, "
                  "createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(tenant), STORE_TEXT(pattern), STORE_TEXT(integration),
                             STORE_TEXT(channel), STORE_TEXT(principal_of(t->req)->account_id), STORE_TIME(now), STORE_TIME(now)),
                  &changes, err);
    else if (t->remove)
        store_run(c, "DELETE FROM notification_rules WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->id)), &changes, err);
    else
        store_run(c,
                  "UPDATE notification_rules SET eventPattern = ?, integrationId = ?, channel = ?, updatedAt = ? "
                  "WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(pattern), STORE_TEXT(integration), STORE_TEXT(channel), STORE_TIME(now), STORE_TEXT(tenant),
                             STORE_TEXT(t->id)),
                  &changes, err);
    if (err->code)
        return err->code;
    if (!(t->found = changes == 1))
        return err_set(err, ERR_NOT_FOUND, "not found");
    details = t->remove ? NULL : json_pack("{s:s, s:s}", "eventPattern", pattern, "integrationId", integration);
    audit_write(
        c, t->req,
        &(struct audit_event){
            .tenant_id = tenant, .action = t->action, .target_type = "notification_rule", .target_id = t->id, .details = details},
        err);
    json_decref(details);
    return err->code;
}

/* Create (id NULL), replace, or delete a rule. */
static enum err_code rule_write(struct request *req, const char *id, bool remove, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id;
    struct rule_tx t = {.req = req, .id = id, .create = !id, .remove = remove};
    char fresh[UUID_SIZE];
    struct store_conn *db;
    json_t *row;

    if (request_db(req, &db, err))
        return err->code;
    if (id) { /* another tenant's rule answers 404 whatever the body */
        if (!(row = rule_load(db, tenant, id, err)))
            return err->code;
        json_decref(row);
    }
    if (!remove && rule_check(db, tenant, req->body, err))
        return err->code;
    if (!id) {
        rand_uuid(fresh);
        t.id = fresh;
    }
    t.action = t.create ? "notification.rule.create" : remove ? "notification.rule.delete" : "notification.rule.update";
    if (tenant_tx(db, tenant, rule_body, &t, err))
        return err->code;
    if (remove) {
        response_empty(req, 204);
        return ERR_OK;
    }
    if (!(row = rule_load(db, tenant, t.id, err)))
        return err->code;
    response_json(req, t.create ? 201 : 200, row);
    return ERR_OK;
}

enum err_code notification_rule_create(struct request *req, struct err *err)
{
    return rule_write(req, NULL, false, err);
}

enum err_code notification_rule_put(struct request *req, struct err *err)
{
    return rule_write(req, request_param(req, "ruleId"), false, err);
}

enum err_code notification_rule_delete(struct request *req, struct err *err)
{
    return rule_write(req, request_param(req, "ruleId"), true, err);
}

/* ---- the delivery log ---- */

static json_t *delivery_row(struct store_stmt *st)
{
    static const char *const cols[] = {"id",     "eventId",  "ruleId",    "integrationId", "channel",   "eventName", "subjectId",
                                       "status", "attempts", "lastError", "messageRef",    "createdAt", "updatedAt"};
    json_t *row = json_object();
    for (int i = 0; i < (int)ARRAY_LEN(cols); i++)
        json_object_set_new(row, cols[i], i == 8 ? json_integer(store_col_int(st, i)) : json_text_or_null(store_col_text(st, i)));
    return row;
}

enum err_code notification_deliveries_list(struct request *req, struct err *err)
{
    const char *status = request_query(req, "status");
    static const char *const statuses[] = {"PENDING", "RETRYING", "DELIVERED", "FAILED", "SKIPPED"};
    struct page p;
    bool known = !status;

    for (size_t i = 0; status && i < ARRAY_LEN(statuses); i++)
        known |= strcmp(statuses[i], status) == 0;
    page_parse(req, &p, err);
    if (!known)
        err_detail(err, "status", "must be PENDING, RETRYING, DELIVERED, FAILED or SKIPPED");
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid query parameters");
    status = status ? status : "";
    return page_respond(req, &p,
                        "SELECT id, eventId, ruleId, integrationId, channel, eventName, subjectId, status, attempts, lastError, "
                        "messageRef, createdAt, updatedAt FROM notification_deliveries WHERE tenantId = ? "
                        "AND (? = '' OR status = ?) AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "
                        "ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(status), STORE_TEXT(status), PAGE_ARGS(&p)),
                        11, 0, delivery_row, err);
}

enum err_code notification_events_list(struct request *req, struct err *err)
{
    json_t *items = json_array();
    (void)err;
    for (size_t i = 0; i < events_count; i++)
        json_array_append_new(items, json_pack("{s:s, s:o, s:s, s:s, s:s}", "name", events_catalog[i].name, "alias",
                                               json_text_or_null(events_alias_of(events_catalog[i].name)), "subject",
                                               events_catalog[i].subject, "fields", events_catalog[i].fields, "description",
                                               events_catalog[i].help));
    response_json(req, 200, json_pack("{s:o}", "items", items));
    return ERR_OK;
}
