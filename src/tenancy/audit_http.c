/* audit_http.c: an owner reads the tenant's audit trail, newest first, with filters. */
#include "core/clock.h"
#include "core/rand.h"
#include "core/xmalloc.h"
#include "http/page.h"
#include "http/stream.h"
#include "tenancy/tenancy_http.h"

/* Reads an RFC 3339 query parameter into canonical form (so text comparison orders correctly). */
static void time_filter(struct request *req, const char *name, const char *fallback, char out[TIMESTAMP_SIZE], struct err *err)
{
    const char *v = request_query(req, name);
    int64_t ms;

    snprintf(out, TIMESTAMP_SIZE, "%s", fallback);
    if (!v)
        return;
    if (clock_parse(v, &ms) || ms < 0 || ms > 253402300799999LL)
        err_detail(err, name, "must be an RFC 3339 time, e.g. 2026-11-22T04:15:16Z");
    else
        clock_format(ms, out);
}

static const char *text_filter(struct request *req, const char *name, struct err *err)
{
    const char *v = request_query(req, name);
    if (v && (strlen(v) == 0 || utf8_length(v) > 254)) {
        err_detail(err, name, "must be 1 to 254 characters");
        return "";
    }
    return v ? v : "";
}

/* Columns 0..12 of the query below, by name; details (column 8) is JSON text. */
static json_t *audit_row(struct store_stmt *st)
{
    static const char *const cols[] = {"id",         "tenantId",  "actorAccountId", "actorEmail", "action",
                                       "targetType", "targetId",  "outcome",        "details",    "ip",
                                       "userAgent",  "requestId", "createdAt"};
    json_t *row = json_object();

    for (int i = 0; i < (int)ARRAY_LEN(cols); i++) {
        const char *v = store_col_text(st, i);
        json_t *d = i == 8 && v ? json_loads(v, 0, NULL) : NULL;
        json_object_set_new(row, cols[i], i == 8 ? (d ? d : json_object()) : json_text_or_null(v));
    }
    return row;
}

enum err_code audit_list(struct request *req, struct err *err)
{
    char since[TIMESTAMP_SIZE], until[TIMESTAMP_SIZE];
    const char *action, *actor, *actor_id;
    struct page p;

    page_parse(req, &p, err);
    action = text_filter(req, "action", err);
    actor = text_filter(req, "actor", err);
    /* actorAccountId is a uuid column: an e-mail address compared with it would be an error, not a miss. */
    actor_id = uuid_valid(actor) ? actor : "00000000-0000-0000-0000-000000000000";
    time_filter(req, "since", "1970-01-01T00:00:00.000Z", since, err);
    time_filter(req, "until", "9999-12-31T23:59:59.999Z", until, err);
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid query parameters");
    /*
     * "Before until" is folded into the page's position, so that the query has one upper bound on createdAt,
     * which the index seeks to: with two, SQLite seeks to one (not always the cursor) and a deep page scans.
     */
    if (strcmp(until, p.at) <= 0) {
        memcpy(p.at, until, sizeof p.at);
        memcpy(p.id, PAGE_NO_ID, sizeof PAGE_NO_ID); /* only rows strictly before until */
    }
    return page_respond(req, &p,
                        "SELECT id, tenantId, actorAccountId, actorEmail, action, targetType, targetId, outcome, details, ip, "
                        "userAgent, requestId, createdAt FROM audit_logs "
                        "WHERE tenantId = ? AND (? = '' OR action = ?) AND (? = '' OR actorAccountId = ? OR actorEmail = ?) "
                        "AND createdAt >= ? AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "
                        "ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TEXT(action), STORE_TEXT(action),
                                   STORE_TEXT(actor), STORE_TEXT(actor_id), STORE_TEXT(actor), STORE_TIME(since), PAGE_ARGS(&p)),
                        12, 0, audit_row, err);
}

/*
 * GET /api/v1/me/audit-logs: the caller's own account-level events (logins,
 * logouts, API tokens), which belong to no tenant's trail, newest first.
 */
enum err_code audit_mine(struct request *req, struct err *err)
{
    char since[TIMESTAMP_SIZE], until[TIMESTAMP_SIZE];
    const char *action;
    struct page p;

    page_parse(req, &p, err);
    action = text_filter(req, "action", err);
    time_filter(req, "since", "1970-01-01T00:00:00.000Z", since, err);
    time_filter(req, "until", "9999-12-31T23:59:59.999Z", until, err);
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid query parameters");
    if (strcmp(until, p.at) <= 0) { /* as audit_list does */
        memcpy(p.at, until, sizeof p.at);
        memcpy(p.id, PAGE_NO_ID, sizeof PAGE_NO_ID);
    }
    return page_respond(req, &p,
                        "SELECT id, tenantId, actorAccountId, actorEmail, action, targetType, targetId, outcome, details, ip, "
                        "userAgent, requestId, createdAt FROM audit_logs "
                        "WHERE tenantId IS NULL AND actorAccountId = ? AND (? = '' OR action = ?) "
                        "AND createdAt >= ? AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "
                        "ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(principal_of(req)->account_id), STORE_TEXT(action), STORE_TEXT(action),
                                   STORE_TIME(since), PAGE_ARGS(&p)),
                        12, 0, audit_row, err);
}

/*
 * The live trail: GET .../audit-logs/stream, one event "audit" a row, as the
 * rows above. The cursor (each event's id) is "createdAt/id", the list's
 * order, a row sent once it is a second old (stream.h: struct stream_rows).
 * Any process's rows are seen: the source reads the database, not memory.
 */
struct audit_feed {
    char tenant_id[UUID_SIZE];
};

static const struct stream_rows audit_rows = {
    "SELECT id, tenantId, actorAccountId, actorEmail, action, targetType, targetId, outcome, details, ip, userAgent, requestId, "
    "createdAt FROM audit_logs WHERE tenantId = ? AND createdAt >= ? AND (createdAt > ? OR id > ?) AND createdAt <= ? "
    "ORDER BY createdAt, id LIMIT ?",
    "audit", audit_row};

static enum err_code audit_feed_poll(void *ctx, struct store *store, struct buf *out, char cursor[STREAM_CURSOR_MAX],
                                     struct err *err)
{
    const struct audit_feed *f = ctx;
    const char *keys[] = {f->tenant_id};
    return stream_rows_poll(&audit_rows, keys, ARRAY_LEN(keys), store, out, cursor, err);
}

static void audit_feed_free(void *ctx)
{
    free(ctx);
}

enum err_code audit_stream(struct request *req, struct err *err)
{
    static const struct stream_source source = {audit_feed_poll, audit_feed_free};
    const char *last = request_header(req, "Last-Event-ID");
    struct audit_feed *f;
    char start[STREAM_CURSOR_MAX], at[TIMESTAMP_SIZE], id[UUID_SIZE];

    if (last && *last && (strlen(last) >= STREAM_CURSOR_MAX || !stream_cursor_parse(last, at, id)))
        return err_set(err, ERR_INVALID, "Last-Event-ID must be the id of an event this stream sent");
    /* Without one, the stream starts now: what happens from here on. */
    clock_now(at);
    snprintf(start, sizeof start, "%s/%s", at, "00000000-0000-0000-0000-000000000000");
    f = xcalloc(1, sizeof *f);
    memcpy(f->tenant_id, principal_of(req)->tenant_id, sizeof f->tenant_id);
    return response_stream(req, &source, f, start, NULL, err);
}
