/* usage_http.c: a tenant's usage and limits (docs/sites.md, "Usage metering"). */
#include "usage/usage_http.h"

#include "core/clock.h"
#include "core/rand.h"
#include "http/page.h"
#include "tenancy/audit.h"
#include "tenancy/roles.h"
#include "usage/usage.h"

/* Each item {metric, period, max}, once per (metric, period). */
static const char *check_limits(json_t *v)
{
    bool seen[USAGE__COUNT][2] = {{false}};
    size_t i;
    json_t *item;

    if (json_array_size(v) > 2 * USAGE__COUNT)
        return "at most one limit per metric and period";
    json_array_foreach(v, i, item)
    {
        json_t *metric = json_object_get(item, "metric"), *period = json_object_get(item, "period"),
               *max = json_object_get(item, "max");
        int m, p;

        if (!json_is_object(item) || json_object_size(item) != 3 || !json_is_string(metric) || !json_is_string(period) ||
            !json_is_integer(max))
            return "each limit must be {\"metric\": string, \"period\": \"day\" or \"month\", \"max\": integer}";
        if ((m = usage_metric_of(json_string_value(metric))) < 0)
            return "unknown metric (docs/sites.md lists them)";
        if ((p = strcmp(json_string_value(period), "day") == 0 ? 0 : strcmp(json_string_value(period), "month") == 0 ? 1 : -1) < 0)
            return "period must be day or month";
        if (json_integer_value(max) < 0 || json_integer_value(max) > (json_int_t)1 << 53)
            return "max must be 0..2^53";
        if (seen[m][p])
            return "at most one limit per metric and period";
        seen[m][p] = true;
    }
    return NULL;
}

SCHEMA(usage_limits_schema, {.name = "limits", .kind = FIELD_ARRAY, .required = true, .check = check_limits});

/* A day (YYYY-MM-DD) from the query, or dflt; false when it is not one. */
static bool query_day(const struct request *req, const char *name, const char *dflt, char out[11])
{
    const char *v = request_query(req, name);
    char ts[TIMESTAMP_SIZE];
    int64_t ms;

    if (!v)
        v = dflt;
    else if (strlen(v) != 10 || snprintf(ts, sizeof ts, "%.10sT00:00:00.000Z", v) != 24 || clock_parse(ts, &ms))
        return false;
    snprintf(out, 11, "%.10s", v);
    return true;
}

/*
 * What GET usage reads and how: the range, one site's use only (site_id,
 * a site of the caller's tenant) or all, and whether items are split by
 * site. Usage of a site is the site's share of the tenant's: totals
 * without a filter are the tenant's whole use.
 */
struct usage_query {
    char from[11], to[11];
    const char *site_id; /* NULL: every site's and the tenant's own */
    bool by_site;        /* items carry siteId (null: the tenant's own) */
};

/* siteId and groupBy from the query: each problem a detail; the site must be the tenant's (404, as any other id). */
static enum err_code usage_query_site(struct request *req, struct store_conn *db, struct usage_query *q, struct err *err)
{
    const char *group = request_query(req, "groupBy");
    int64_t found = 0;

    q->site_id = request_query(req, "siteId");
    q->by_site = group && strcmp(group, "site") == 0;
    if (group && !q->by_site)
        err_detail(err, "groupBy", "must be site");
    if (q->site_id && !uuid_valid(q->site_id))
        err_detail(err, "siteId", "must be a site's id");
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid query parameters");
    if (!q->site_id)
        return ERR_OK;
    if (store_int(db, "SELECT COUNT(*) FROM sites WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(q->site_id)), &found, err))
        return err->code;
    return found ? ERR_OK : err_set(err, ERR_NOT_FOUND, "site not found");
}

/* An item of the answer; siteId only when split by site (JSON null for the tenant's own). Caller owns. */
static json_t *usage_item(const struct usage_query *q, const char *day, const char *site, const char *metric, int64_t n)
{
    json_t *item = json_pack("{s:s, s:s, s:I}", "day", day, "metric", metric, "count", (json_int_t)n);

    if (q->by_site)
        json_object_set_new(item, "siteId", site && site[0] ? json_string(site) : json_null());
    return item;
}

/* Adds n to the last item when it is the same day and metric (rows come by day, metric, site); else appends an item. */
static void usage_items_add(const struct usage_query *q, json_t *items, const char *day, const char *site, const char *metric,
                            int64_t n)
{
    json_t *last = json_array_get(items, json_array_size(items) - 1);

    if (!q->by_site && last && strcmp(json_string_value(json_object_get(last, "day")), day) == 0 &&
        strcmp(json_string_value(json_object_get(last, "metric")), metric) == 0) {
        json_object_set_new(last, "count", json_integer(json_integer_value(json_object_get(last, "count")) + n));
        return;
    }
    json_array_append_new(items, usage_item(q, day, site, metric, n));
}

enum err_code usage_get(struct request *req, struct err *err)
{
    char today[TIMESTAMP_SIZE], month_ago[TIMESTAMP_SIZE];
    struct usage_query q = {.site_id = NULL};
    char *from = q.from, *to = q.to;
    struct store_conn *db;
    struct store_stmt *st;
    json_t *items, *limits, *totals = json_object();
    struct {
        bool seen;    /* the range has a storageBytes row */
        int64_t last; /* its latest, or what is kept now */
    } gauge = {false, 0};
    int rc;

    clock_now(today);
    clock_format(clock_now_ms() - 30LL * 86400000, month_ago);
    today[10] = month_ago[10] = '\0';
    if (!query_day(req, "from", month_ago, from))
        err_detail(err, "from", "must be a day as YYYY-MM-DD");
    if (!query_day(req, "to", today, to))
        err_detail(err, "to", "must be a day as YYYY-MM-DD");
    if (request_db(req, &db, err) || usage_query_site(req, db, &q, err)) {
        json_decref(totals);
        return err->code;
    }
    for (int i = 0; i < USAGE__COUNT; i++)
        json_object_set_new(totals, usage_metric_names[i], json_integer(0));
    usage_flush(); /* this process's counts, so the answer includes them */
    /*
     * Rolled up, plus the events not rolled up yet: one statement, so a
     * roll-up that commits meanwhile counts once. Per site always: the
     * filter and the fold (usage_items_add) are C's, over a tenant's few rows.
     */
    if (store_select(db,
                     "SELECT day, metric, siteId, SUM(count) FROM (SELECT day, metric, siteId, count FROM tenant_usage WHERE "
                     "tenantId = ? AND day >= ? AND day <= ? UNION ALL SELECT day, metric, siteId, count FROM usage_events WHERE "
                     "tenantId = ? AND day >= ? AND day <= ?) u GROUP BY day, metric, siteId ORDER BY day, metric, siteId",
                     STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(from), STORE_TEXT(to),
                                STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(from), STORE_TEXT(to)),
                     &st, err)) {
        json_decref(totals);
        return err->code;
    }
    items = json_array();
    while ((rc = store_next(st, err)) == 1) {
        const char *metric = store_col_text(st, 1), *site = store_col_text(st, 2);
        int64_t n = store_col_int(st, 3);
        if (q.site_id && (!site || strcmp(site, q.site_id) != 0))
            continue; /* another site's, or the tenant's own */
        if (usage_metric_of(metric) == USAGE_STORAGE_BYTES) {
            gauge.seen = true;
            gauge.last = n; /* rows come by day: the last is the range's latest reading */
            if (strcmp(store_col_text(st, 0), today) == 0)
                continue; /* today's reading is taken live, below */
        }
        usage_items_add(&q, items, store_col_text(st, 0), site, metric, n);
        json_object_set_new(totals, metric, json_integer(json_integer_value(json_object_get(totals, metric)) + n));
    }
    store_finish(st);
    /* The gauge is the tenant's own (not split by site yet: docs/sites.md "Not yet"), so no site's. */
    if (rc == 0 && !q.site_id && strcmp(from, today) <= 0 && strcmp(today, to) <= 0 &&
        usage_storage_kept(db, principal_of(req)->tenant_id, &gauge.last, err) == ERR_OK && (gauge.last || gauge.seen))
        /* storageBytes sorts last among the metrics, and today is the range's last day: the item stays in order */
        json_array_append_new(items, usage_item(&q, today, USAGE_NO_SITE, usage_metric_names[USAGE_STORAGE_BYTES], gauge.last));
    /* A gauge's total is its latest reading in the range (now, when the range holds today), not a sum of days. */
    json_object_set_new(totals, usage_metric_names[USAGE_STORAGE_BYTES], json_integer(gauge.last));
    if (rc < 0 || err->code || !(limits = usage_limits_json(db, principal_of(req)->tenant_id, err))) {
        json_decref(items);
        json_decref(totals);
        return err->code;
    }
    response_json(req, 200,
                  json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "from", from, "to", to, "siteId",
                            q.site_id ? json_string(q.site_id) : json_null(), "items", items, "totals", totals, "limits", limits));
    return ERR_OK;
}

struct limits_tx {
    const struct request *req;
    const char *tenant;
    json_t *limits; /* borrowed: the body's */
    json_t *out;    /* caller owns */
};

/* Replaces the tenant's limits with the body's, audited. */
static enum err_code limits_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct limits_tx *t = ctx;
    char now[TIMESTAMP_SIZE];
    int64_t found = 0;
    size_t i;
    json_t *item;

    json_decref(t->out); /* a retried transaction's first attempt */
    t->out = NULL;
    if (store_int(c, "SELECT COUNT(*) FROM tenants WHERE id = ? AND deletedAt IS NULL", STORE_ARGS(STORE_TEXT(t->tenant)), &found,
                  err))
        return err->code;
    if (!found)
        return err_set(err, ERR_NOT_FOUND, "not found");
    clock_now(now);
    if (store_run(c, "DELETE FROM tenant_limits WHERE tenantId = ?", STORE_ARGS(STORE_TEXT(t->tenant)), NULL, err))
        return err->code;
    json_array_foreach(t->limits, i, item)
    {
        char id[UUID_SIZE];
        rand_uuid(id);
        if (store_run(c, "INSERT INTO tenant_limits (id, tenantId, metric, period, max, updatedAt) VALUES (?, ?, ?, ?, ?, ?)",
                      STORE_ARGS(STORE_TEXT(id), STORE_TEXT(t->tenant),
                                 STORE_TEXT(json_string_value(json_object_get(item, "metric"))),
                                 STORE_TEXT(json_string_value(json_object_get(item, "period"))),
                                 STORE_INT(json_integer_value(json_object_get(item, "max"))), STORE_TIME(now)),
                      NULL, err))
            return err->code;
    }
    if (audit_write(c, t->req,
                    &(struct audit_event){.tenant_id = t->tenant,
                                          .action = "admin.tenant.limits",
                                          .target_type = "tenant",
                                          .target_id = t->tenant,
                                          .details = t->limits},
                    err))
        return err->code;
    return (t->out = usage_limits_json(c, t->tenant, err)) ? ERR_OK : err->code;
}

enum err_code usage_limits_put(struct request *req, struct err *err)
{
    struct limits_tx t = {.req = req, .tenant = request_param(req, "id"), .limits = json_object_get(req->body, "limits")};
    struct store_conn *db;

    if (request_db(req, &db, err) || store_tx(db, limits_body, &t, err)) {
        json_decref(t.out);
        return err->code;
    }
    usage_limits_reload(); /* this process's at once; the others' at their next flush */
    response_json(req, 200, json_pack("{s:s, s:o}", "tenantId", t.tenant, "limits", t.out));
    return ERR_OK;
}
