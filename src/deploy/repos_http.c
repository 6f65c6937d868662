/*
 * repos_http.c: the tenant's synced repositories (viewers read), a sync on
 * demand (editors) and each account's pins (any member).
 */
#include "deploy/repos_http.h"

#include <ctype.h>

#include "core/clock.h"
#include "core/rand.h"
#include "deploy/repos.h"
#include "deploy/listing.h"
#include "http/page.h"
#include "jobs/jobs.h"
#include "providers/fields.h"
#include "tenancy/audit.h"
#include "tenancy/tenancy_http.h"

static struct jobs *jobs;

void repos_http_start(struct jobs *q)
{
    jobs = q;
}

static const struct field repos_sync_fields[] = {FMT("integrationId", false, 36, check_uuid, "uuid")};
const struct schema repos_sync_schema = {
    .name = "repos_sync_schema", .fields = repos_sync_fields, .count = ARRAY_LEN(repos_sync_fields), .optional = true};

#define REPO_COLUMNS "id, integrationId, externalId, fullName, defaultBranch, private, webUrl, syncedAt, createdAt"
/* The caller's filters, after tenantId: ?q= a substring of fullName, ?integrationId=. */
#define REPO_FILTERS " AND integrationId = COALESCE(?, integrationId) AND LOWER(fullName) LIKE COALESCE(?, '%') ESCAPE '!'"
#define PINNED "id IN (SELECT repositoryId FROM profile_repository_pins WHERE accountId = ?)"

static json_t *repo_row(struct store_stmt *st, bool pinned)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:s, s:s, s:b}", "id", store_col_text(st, 0), "integrationId",
                     store_col_text(st, 1), "externalId", store_col_text(st, 2), "fullName", store_col_text(st, 3), "defaultBranch",
                     json_text_or_null(store_col_text(st, 4)), "private", store_col_bool(st, 5), "webUrl",
                     json_text_or_null(store_col_text(st, 6)), "syncedAt", store_col_text(st, 7), "createdAt",
                     store_col_text(st, 8), "pinned", pinned);
}

/* Each integration's sync state, for the list's answer. */
static const struct listing_states sync_states = {
    .sql = "SELECT id, scmType, displayName, syncStatus, lastSyncedAt, lastSyncError FROM tenant_scm_integrations "
           "WHERE tenantId = ? ORDER BY displayName, id",
    .keys = {"syncStatus", "lastSyncedAt", "lastSyncError"}};

/* q (at most 256 bytes) as a LIKE pattern into out[600]: a substring, lower case, q's '%', '_' and '!' escaped by '!'. */
static void like_pattern(const char *q, char *out)
{
    size_t n = 0;

    out[n++] = '%';
    for (; *q; q++) {
        if (*q == '%' || *q == '_' || *q == '!')
            out[n++] = '!';
        out[n++] = (char)tolower((unsigned char)*q);
    }
    out[n++] = '%';
    out[n] = '\0';
}

enum err_code repositories_list(struct request *req, struct err *err)
{
    const char *tenant = principal_of(req)->tenant_id, *account = principal_of(req)->account_id;
    const char *q = request_query(req, "q"), *integration = request_query(req, "integrationId");
    char like[600];
    struct store_conn *c;
    struct store_stmt *st;
    struct page p;
    json_t *states, *items, *answer;

    if (q && strlen(q) > 256)
        return err_set(err, ERR_INVALID, "q: at most 256 characters");
    if (integration && !uuid_valid(integration))
        return err_set(err, ERR_INVALID, "integrationId: expected a uuid");
    if (q)
        like_pattern(q, like);
    if (page_parse(req, &p, err) || request_db(req, &c, err))
        return err->code;
    states = listing_states(c, &sync_states, tenant, err); /* first: see listing_states */
    if (err->code) {
        json_decref(states);
        return err->code;
    }
    items = json_array();
    if (!request_query(req, "cursor")) { /* the first page: the caller's pins, all of them, first */
        if (store_select(c,
                         "SELECT " REPO_COLUMNS " FROM repositories WHERE tenantId = ?" REPO_FILTERS " AND " PINNED
                         " ORDER BY fullName, id",
                         STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration), STORE_TEXT(q ? like : NULL), STORE_TEXT(account)),
                         &st, err) == ERR_OK) {
            while (store_next(st, err) == 1)
                json_array_append_new(items, repo_row(st, true));
            store_finish(st);
        }
    }
    if (!err->code && store_select(c,
                                   "SELECT " REPO_COLUMNS " FROM repositories WHERE tenantId = ?" REPO_FILTERS " AND NOT " PINNED
                                   " AND (createdAt <= ? AND (createdAt < ? OR id < ?)) ORDER BY createdAt DESC, id DESC LIMIT ?",
                                   STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration), STORE_TEXT(q ? like : NULL),
                                              STORE_TEXT(account), PAGE_ARGS(&p)),
                                   &st, err) == ERR_OK) {
        while (store_next(st, err) == 1 && page_take(&p, store_col_text(st, 8), store_col_text(st, 0)))
            json_array_append_new(items, repo_row(st, false));
        store_finish(st);
    }
    if (err->code) {
        json_decref(states);
        json_decref(items);
        return err->code;
    }
    answer = page_result(req, &p, items);
    json_object_set_new(answer, "integrations", states);
    response_json(req, 200, answer);
    return ERR_OK;
}

struct sync_tx {
    struct request *req;
    json_t *ids;
};

static enum err_code sync_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct sync_tx *t = ctx;
    const char *tenant = principal_of(t->req)->tenant_id;
    const char *only = json_string_value(json_object_get(t->req->body, "integrationId"));
    struct store_stmt *st;
    json_t *targets = json_array(), *v;
    char job[UUID_SIZE];
    size_t i;

    if (only) {
        json_array_append_new(targets, json_string(only));
    } else if (store_select(c, "SELECT id FROM tenant_scm_integrations WHERE tenantId = ? AND isActive = ? ORDER BY id",
                            STORE_ARGS(STORE_TEXT(tenant), STORE_BOOL(true)), &st, err) == ERR_OK) {
        while (store_next(st, err) == 1)
            json_array_append_new(targets, json_string(store_col_text(st, 0)));
        store_finish(st);
    }
    json_array_foreach(targets, i, v)
    {
        if (err->code || repos_sync_start(c, jobs, tenant, json_string_value(v), job, err))
            break;
        json_array_append_new(t->ids, json_string(job));
    }
    json_decref(targets);
    if (!err->code)
        audit_write(c, t->req,
                    &(struct audit_event){.action = "repositories.sync", .target_type = "repositories", .details = t->req->body},
                    err);
    return err->code;
}

enum err_code repositories_sync(struct request *req, struct err *err)
{
    struct sync_tx t = {.req = req, .ids = json_array()};
    struct store_conn *c;

    if (request_db(req, &c, err) || store_tx(c, sync_body, &t, err)) {
        json_decref(t.ids);
        return err->code;
    }
    jobs_nudge(jobs);
    response_json(req, 202, json_pack("{s:o}", "jobIds", t.ids));
    return ERR_OK;
}

/* The tenant's repository of the path, else ERR_NOT_FOUND. */
static enum err_code repo_exists(struct store_conn *c, const char *tenant, const char *id, struct err *err)
{
    int64_t n = 0;

    if (store_int(c, "SELECT COUNT(*) FROM repositories WHERE tenantId = ? AND id = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &n, err))
        return err->code;
    return n ? ERR_OK : err_set(err, ERR_NOT_FOUND, "no such repository");
}

static enum err_code pin_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct request *req = ctx;
    const struct principal *who = principal_of(req);
    const char *id = request_param(req, "repositoryId");
    char now[TIMESTAMP_SIZE];

    if (repo_exists(c, who->tenant_id, id, err))
        return err->code;
    clock_now(now);
    if (store_run(c, "DELETE FROM profile_repository_pins WHERE accountId = ? AND repositoryId = ?",
                  STORE_ARGS(STORE_TEXT(who->account_id), STORE_TEXT(id)), NULL, err) ||
        (req->method[0] == 'P' &&
         store_run(c, "INSERT INTO profile_repository_pins (tenantId, accountId, repositoryId, createdAt) VALUES (?, ?, ?, ?)",
                   STORE_ARGS(STORE_TEXT(who->tenant_id), STORE_TEXT(who->account_id), STORE_TEXT(id), STORE_TIME(now)), NULL,
                   err)))
        return err->code;
    return ERR_OK;
}

enum err_code repository_pin(struct request *req, struct err *err)
{
    struct store_conn *c;

    if (request_db(req, &c, err) || store_tx(c, pin_body, req, err))
        return err->code;
    response_empty(req, 204);
    return ERR_OK;
}
