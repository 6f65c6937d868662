/* endpoints_http.c: /api/v1/{tenantId}/webhook-endpoints and /webhook-deliveries (docs/api.md, docs/notifications.md). */
#include "notify/endpoints_http.h"

#include "core/clock.h"
#include "core/rand.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "events/catalog.h"
#include "http/page.h"
#include "notify/endpoints.h"
#include "notify/notify.h"
#include "notify/notify_http.h"
#include "outbound/url.h"
#include "tenancy/audit.h"
#include "tenancy/roles.h"
#include "tenancy/tenants.h"

SCHEMA(webhook_endpoint_schema, {.name = "url", .kind = FIELD_STRING, .required = true, .min = 1, .max = 2048},
       {.name = "events", .kind = FIELD_ARRAY, .required = true, .min = 1, .max = 50},
       {.name = "description", .kind = FIELD_STRING, .max = 500, .check = check_printable},
       {.name = "enabled", .kind = FIELD_BOOL, .def = "true"});

/* ping and redeliver: no fields, and the body may be absent. */
const struct schema webhook_endpoint_action_schema = {.name = "webhook_endpoint_action_schema", .optional = true};

/* rotate-secret: how long the old secret keeps signing beside the new one (0, the default: it stops at once). */
static const struct field rotate_fields[] = {
    {.name = "overlapSeconds", .kind = FIELD_INT, .min = 0, .max = ENDPOINT_MAX_OVERLAP, .def = "0"}};
const struct schema webhook_endpoint_rotate_schema = {
    .name = "webhook_endpoint_rotate_schema", .fields = rotate_fields, .count = ARRAY_LEN(rotate_fields), .optional = true};

#define ENDPOINT_COLUMNS                                                                                                           \
    "id, url, events, description, enabled, createdByAccountId, createdAt, updatedAt, secretRotatedAt, failureCount, "             \
    "failingSince, disabledAt, disabledReason, previousSecretUntil"

static json_t *endpoint_row(struct store_stmt *st)
{
    static const char *const cols[] = {"id",
                                       "url",
                                       "events",
                                       "description",
                                       "enabled",
                                       "createdByAccountId",
                                       "createdAt",
                                       "updatedAt",
                                       "secretRotatedAt",
                                       "failureCount",
                                       "failingSince",
                                       "disabledAt",
                                       "disabledReason"};
    json_t *row = json_object(), *events;
    const char *until;
    int64_t at = 0;

    for (int i = 0; i < (int)ARRAY_LEN(cols); i++)
        json_object_set_new(row, cols[i], json_text_or_null(store_col_text(st, i)));
    events = json_loads(store_col_text(st, 2) ? store_col_text(st, 2) : "[]", 0, NULL);
    json_object_set_new(row, "events", events ? events : json_array());
    json_object_set_new(row, "enabled", json_boolean(store_col_bool(st, 4)));
    json_object_set_new(row, "failureCount", json_integer(store_col_int(st, 9)));
    /* until when the previous secret signs too (a rotation's overlap), while it does; else null */
    until = store_col_text(st, 13);
    json_object_set_new(row, "previousSecretUntil",
                        until && clock_parse(until, &at) == 0 && at > clock_now_ms() ? json_string(until) : json_null());
    return row;
}

enum err_code webhook_endpoints_list(struct request *req, struct err *err)
{
    return notify_page(req,
                       "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE tenantId = ? "
                       "AND (createdAt <= ? AND (createdAt < ? OR id < ?)) ORDER BY createdAt DESC, id DESC LIMIT ?",
                       6, endpoint_row, err);
}

/* The endpoint (as the list shows it), or NULL with ERR_NOT_FOUND. */
static json_t *endpoint_load(struct store_conn *db, const char *tenant, const char *id, struct err *err)
{
    return page_row(db, "SELECT " ENDPOINT_COLUMNS " FROM webhook_endpoints WHERE tenantId = ? AND id = ?",
                    STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), endpoint_row, err);
}

enum err_code webhook_endpoint_get(struct request *req, struct err *err)
{
    struct store_conn *db;
    json_t *row;

    if (request_db(req, &db, err) ||
        !(row = endpoint_load(db, principal_of(req)->tenant_id, request_param(req, "endpointId"), err)))
        return err->code;
    response_json(req, 200, row);
    return ERR_OK;
}

/* The body's problems beyond its schema: an https URL without credentials, patterns of the catalogue. */
static enum err_code endpoint_check(const json_t *body, struct err *err)
{
    const json_t *events = json_object_get(body, "events"), *v;
    struct outbound_url u;
    size_t i;

    if (!outbound_url_parse(json_string_value(json_object_get(body, "url")), &u) || strcmp(u.scheme, "https") != 0 || u.credentials)
        err_detail(err, "url", "must be an https URL without a user name or password");
    if (json_array_size(events) < 1 || json_array_size(events) > 50)
        err_detail(err, "events", "must list 1 to 50 event patterns");
    json_array_foreach(events, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) > 128 || !events_pattern_valid(json_string_value(v))) {
            err_detail(err, "events",
                       "each must be \"*\", an event of the catalogue (docs/events.md), or a prefix of some with .*");
            break;
        }
    }
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid webhook endpoint");
    return ERR_OK;
}

enum endpoint_op { OP_CREATE, OP_UPDATE, OP_DELETE, OP_ROTATE, OP_PING, OP_REDELIVER };

struct endpoint_tx {
    const struct request *req;
    enum endpoint_op op;
    const char *id;
    char secret[ENDPOINT_SECRET_SIZE]; /* OP_CREATE, OP_ROTATE: the new secret, shown once */
    char delivery[UUID_SIZE];          /* OP_PING: the new delivery; OP_REDELIVER: the one of the path */
};

static enum err_code endpoint_body(struct store_conn *c, void *ctx, struct err *err)
{
    static const char *const actions[] = {"webhook.endpoint.create", "webhook.endpoint.update", "webhook.endpoint.delete",
                                          "webhook.endpoint.rotate", "webhook.endpoint.ping",   "webhook.delivery.redeliver"};
    struct endpoint_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id;
    const json_t *body = t->req->body;
    const json_t *enabled = json_object_get(body, "enabled");
    struct secret_place at = ENDPOINT_SECRET_PLACE(tenant, t->id);
    char now[TIMESTAMP_SIZE], *events = NULL, *stored = NULL;
    int64_t changes = 0;

    clock_now(now);
    if (t->op == OP_CREATE || t->op == OP_ROTATE) {
        endpoints_secret_new(t->secret);
        if (secret_encrypt(notify_keys(), &at, t->secret, strlen(t->secret), &stored, err))
            return err->code;
    }
    if (t->op == OP_CREATE || t->op == OP_UPDATE)
        events = json_dumps(json_object_get(body, "events"), JSON_COMPACT);
    if (t->op == OP_CREATE)
        store_run(c,
                  "INSERT INTO webhook_endpoints (id, tenantId, url, events, secret, enabled, description, createdByAccountId, "
                  "createdAt, updatedAt, secretRotatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(tenant), STORE_TEXT(json_string_value(json_object_get(body, "url"))),
                             STORE_TEXT(events), STORE_TEXT(stored), STORE_BOOL(!json_is_false(enabled)),
                             STORE_TEXT(json_string_value(json_object_get(body, "description"))),
                             STORE_TEXT(principal_of(t->req)->account_id), STORE_TIME(now), STORE_TIME(now), STORE_TIME(now)),
                  &changes, err);
    else if (t->op == OP_UPDATE &&
             store_run(c,
                       "UPDATE webhook_endpoints SET url = ?, events = ?, enabled = ?, description = ?, updatedAt = ? "
                       "WHERE tenantId = ? AND id = ?",
                       STORE_ARGS(STORE_TEXT(json_string_value(json_object_get(body, "url"))), STORE_TEXT(events),
                                  STORE_BOOL(!json_is_false(enabled)),
                                  STORE_TEXT(json_string_value(json_object_get(body, "description"))), STORE_TIME(now),
                                  STORE_TEXT(tenant), STORE_TEXT(t->id)),
                       &changes, err) == ERR_OK &&
             !json_is_false(enabled)) /* on (again): a new count of failures, and no reason to be off */
        store_run(c,
                  "UPDATE webhook_endpoints SET failureCount = 0, failingSince = NULL, disabledAt = NULL, disabledReason = NULL "
                  "WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->id)), NULL, err);
    else if (t->op == OP_DELETE)
        store_run(c, "DELETE FROM webhook_endpoints WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(t->id)), &changes, err);
    else if (t->op == OP_ROTATE)
        endpoints_secret_rotate(c, notify_keys(), tenant, t->id, stored,
                                json_integer_value(json_object_get(body, "overlapSeconds")), now, &changes, err);
    else if (t->op == OP_PING && notify_ping(c, tenant, t->id, t->delivery, err) == ERR_OK)
        changes = 1;
    else if (t->op == OP_REDELIVER && notify_redeliver(c, tenant, t->id, t->delivery, err) == ERR_OK)
        changes = 1;
    free(events);
    free(stored);
    if (err->code)
        return err->code;
    if (changes != 1)
        return err_set(err, ERR_NOT_FOUND, "not found");
    audit_write(c, t->req,
                &(struct audit_event){.tenant_id = tenant,
                                      .action = actions[t->op],
                                      .target_type = t->op == OP_REDELIVER ? "webhook_delivery" : "webhook_endpoint",
                                      .target_id = t->op == OP_REDELIVER ? t->delivery : t->id},
                err);
    return err->code;
}

/* Runs op on the endpoint of the path (or a new one) and answers. */
static enum err_code endpoint_write(struct request *req, enum endpoint_op op, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id;
    struct endpoint_tx t = {.req = req, .op = op, .id = request_param(req, "endpointId")};
    char fresh[UUID_SIZE];
    struct store_conn *db;
    json_t *row;

    if (request_db(req, &db, err))
        return err->code;
    if (op != OP_CREATE) { /* another tenant's endpoint answers 404 whatever the body */
        if (!(row = endpoint_load(db, tenant, t.id, err)))
            return err->code;
        json_decref(row);
    } else {
        rand_uuid(fresh);
        t.id = fresh;
    }
    if (op == OP_REDELIVER) /* a UUID: the router checks it */
        snprintf(t.delivery, sizeof t.delivery, "%s", request_param(req, "deliveryId"));
    if ((op == OP_CREATE || op == OP_UPDATE) && endpoint_check(req->body, err))
        return err->code;
    if (tenant_tx(db, tenant, endpoint_body, &t, err))
        goto out;
    if (op == OP_DELETE) {
        response_empty(req, 204);
    } else if (op == OP_PING || op == OP_REDELIVER) {
        response_json(req, 202, json_pack("{s:s}", "deliveryId", t.delivery));
    } else if ((row = endpoint_load(db, tenant, t.id, err))) {
        if (t.secret[0])
            json_object_set_new(row, "secret", json_string(t.secret)); /* shown once */
        response_json(req, op == OP_CREATE ? 201 : 200, row);
    }
out:
    hash_cleanse(t.secret, sizeof t.secret);
    return err->code;
}

enum err_code webhook_endpoint_create(struct request *req, struct err *err)
{
    return endpoint_write(req, OP_CREATE, err);
}

enum err_code webhook_endpoint_put(struct request *req, struct err *err)
{
    return endpoint_write(req, OP_UPDATE, err);
}

enum err_code webhook_endpoint_delete(struct request *req, struct err *err)
{
    return endpoint_write(req, OP_DELETE, err);
}

enum err_code webhook_endpoint_rotate(struct request *req, struct err *err)
{
    return endpoint_write(req, OP_ROTATE, err);
}

enum err_code webhook_endpoint_ping(struct request *req, struct err *err)
{
    return endpoint_write(req, OP_PING, err);
}

enum err_code webhook_delivery_redeliver(struct request *req, struct err *err)
{
    return endpoint_write(req, OP_REDELIVER, err);
}

/* ---- the delivery log ---- */

#define DELIVERY_COLUMNS "id, endpointId, eventId, eventName, status, attempts, responseCode, lastError, createdAt, updatedAt"

static json_t *delivery_row(struct store_stmt *st)
{
    static const char *const cols[] = {"id",       "endpointId",   "eventId",   "eventName", "status",
                                       "attempts", "responseCode", "lastError", "createdAt", "updatedAt"};
    json_t *row = json_object();
    for (int i = 0; i < (int)ARRAY_LEN(cols); i++)
        json_object_set_new(row, cols[i],
                            i == 5 || (i == 6 && !store_col_null(st, i)) ? json_integer(store_col_int(st, i))
                                                                         : json_text_or_null(store_col_text(st, i)));
    return row;
}

enum err_code webhook_deliveries_list(struct request *req, struct err *err)
{
    static const char *const statuses[] = {"PENDING", "RETRYING", "DELIVERED", "FAILED"};
    const char *status = request_query(req, "status"), *endpoint = request_query(req, "endpointId");
    struct page p;
    bool known = !status;

    for (size_t i = 0; status && i < ARRAY_LEN(statuses); i++)
        known |= strcmp(statuses[i], status) == 0;
    page_parse(req, &p, err);
    if (!known)
        err_detail(err, "status", "must be PENDING, RETRYING, DELIVERED or FAILED");
    if (endpoint && !uuid_valid(endpoint))
        err_detail(err, "endpointId", "must be a UUID");
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid query parameters");
    status = status ? status : "";
    if (endpoint) /* PostgreSQL reads a bound "" as a uuid too: the filter is in the SQL only when asked for */
        return page_respond(req, &p,
                            "SELECT " DELIVERY_COLUMNS " FROM endpoint_deliveries WHERE tenantId = ? AND endpointId = ? "
                            "AND (? = '' OR status = ?) AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "
                            "ORDER BY createdAt DESC, id DESC LIMIT ?",
                            STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(endpoint), STORE_TEXT(status),
                                       STORE_TEXT(status), PAGE_ARGS(&p)),
                            8, 0, delivery_row, err);
    return page_respond(req, &p,
                        "SELECT " DELIVERY_COLUMNS " FROM endpoint_deliveries WHERE tenantId = ? "
                        "AND (? = '' OR status = ?) AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "
                        "ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(status), STORE_TEXT(status), PAGE_ARGS(&p)),
                        8, 0, delivery_row, err);
}
