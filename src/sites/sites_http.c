/*
 * sites_http.c: a tenant's sites, their settings, posts and custom domains,
 * and its usage (docs/api.md, docs/sites.md). Editors write content;
 * owners delete sites and manage domains; viewers read.
 */
#include "sites/sites_http.h"

#include <ctype.h>

#include "core/clock.h"
#include "core/encode.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/workpool.h"
#include "core/xmalloc.h"
#include "http/page.h"
#include "outbound/outbound.h"
#include "providers/call.h"
#include "sites/proof.h"
#include "sites/sites.h"
#include "usage/usage.h"
#include "tenancy/audit.h"
#include "tenancy/roles.h"
#include "tenancy/tenants.h"

static const char *const post_statuses[] = {"DRAFT", "SCHEDULED", "PUBLISHED", NULL};
static const char *const platforms[] = {"IOS", "ANDROID", "WEB", NULL};

static const char *check_color(json_t *v)
{
    const char *s = json_string_value(v);

    if (strlen(s) != 7 || s[0] != '#')
        return "must be a colour as #rrggbb";
    for (int i = 1; i < 7; i++)
        if (!isxdigit((unsigned char)s[i]))
            return "must be a colour as #rrggbb";
    return NULL;
}

static const char *check_https(json_t *v)
{
    const char *s = json_string_value(v);

    if (strncmp(s, "https://", 8) != 0 || !s[8])
        return "must be an https:// URL";
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == '"' || *s == '<' || *s == '>' || *s == 0x7f)
            return "must be an https:// URL";
    return NULL;
}

static const char *check_timestamp(json_t *v)
{
    int64_t ms;
    return clock_parse(json_string_value(v), &ms) ? "must be a timestamp (YYYY-MM-DDTHH:MM:SS.mmmZ)" : NULL;
}

SCHEMA(site_create_schema, {.name = "slug", .kind = FIELD_STRING, .required = true, .min = 1, .max = SITE_SLUG_MAX},
       {.name = "name", .kind = FIELD_STRING, .required = true, .min = 1, .max = 200, .check = check_printable});
SCHEMA(site_update_schema, {.name = "slug", .kind = FIELD_STRING, .min = 1, .max = SITE_SLUG_MAX},
       {.name = "name", .kind = FIELD_STRING, .min = 1, .max = 200, .check = check_printable});
SCHEMA(site_settings_schema,
       {.name = "title", .kind = FIELD_STRING, .required = true, .min = 1, .max = 200, .check = check_printable},
       {.name = "logoUrl", .kind = FIELD_STRING, .min = 9, .max = 2048, .check = check_https, .format = "url"},
       {.name = "accentColor",
        .kind = FIELD_STRING,
        .min = 7,
        .max = 7,
        .check = check_color,
        .format = "color",
        .def = "\"#2563eb\""},
       {.name = "apps", .kind = FIELD_ARRAY, .max = 50, .def = "[]"},
       {.name = "platforms", .kind = FIELD_ARRAY, .max = 3, .def = "[]"}, /* items checked by settings_check */
       {.name = "footer", .kind = FIELD_STRING, .max = 1000}, {.name = "draftsPreviewable", .kind = FIELD_BOOL, .def = "false"},
       {.name = "autoPublishNotes", .kind = FIELD_BOOL, .def = "false"});
SCHEMA(post_create_schema,
       {.name = "title", .kind = FIELD_STRING, .required = true, .min = 1, .max = 200, .check = check_printable},
       {.name = "slug", .kind = FIELD_STRING, .required = true, .min = 1, .max = POST_SLUG_MAX},
       {.name = "body", .kind = FIELD_STRING, .required = true, .max = 100000},
       {.name = "status", .kind = FIELD_STRING, .allowed = post_statuses, .def = "\"DRAFT\""},
       {.name = "publishedAt", .kind = FIELD_STRING, .min = 24, .max = 24, .check = check_timestamp, .format = "date-time"});
SCHEMA(post_update_schema, {.name = "title", .kind = FIELD_STRING, .min = 1, .max = 200, .check = check_printable},
       {.name = "slug", .kind = FIELD_STRING, .min = 1, .max = POST_SLUG_MAX},
       {.name = "body", .kind = FIELD_STRING, .max = 100000}, {.name = "status", .kind = FIELD_STRING, .allowed = post_statuses},
       {.name = "publishedAt", .kind = FIELD_STRING, .min = 24, .max = 24, .check = check_timestamp, .format = "date-time"});
/* restore: no fields, and the body may be absent; verify: the same, or the method (http, the default, or dns). */
const struct schema site_action_schema = {.name = "site_action_schema", .optional = true};
static const char *const verify_methods[] = {"http", "dns", NULL};
static const struct field domain_verify_fields[] = {{.name = "method", .kind = FIELD_STRING, .allowed = verify_methods}};
const struct schema domain_verify_schema = {
    .name = "domain_verify_schema", .fields = domain_verify_fields, .count = ARRAY_LEN(domain_verify_fields), .optional = true};
SCHEMA(domain_create_schema, {.name = "hostName", .kind = FIELD_STRING, .required = true, .min = 1, .max = HOST_NAME_MAX_LEN});

static const char *tenant_of(const struct request *req)
{
    return principal_of(req)->tenant_id;
}

/* Row -> object: each column as text or null, but for the booleans named in bools (NULL-terminated). */
static json_t *row_object(struct store_stmt *st, const char *const *cols, int n, const char *const *bools)
{
    json_t *row = json_object();

    for (int i = 0; i < n; i++) {
        bool is_bool = false;
        for (int b = 0; bools && bools[b]; b++)
            is_bool |= strcmp(bools[b], cols[i]) == 0;
        json_object_set_new(row, cols[i], is_bool ? json_boolean(store_col_bool(st, i)) : json_text_or_null(store_col_text(st, i)));
    }
    return row;
}

/* A write and its audit row, in one tenant_tx. */
struct write {
    const struct request *req;
    store_tx_fn fn;
    void *ctx;
    const char *action, *target_type, *target_id;
    json_t *details; /* borrowed */
};

static enum err_code write_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct write *w = ctx;

    if (w->fn(c, w->ctx, err))
        return err->code;
    return audit_write(c, w->req,
                       &(struct audit_event){.tenant_id = tenant_of(w->req),
                                             .action = w->action,
                                             .target_type = w->target_type,
                                             .target_id = w->target_id,
                                             .details = w->details},
                       err);
}

static enum err_code write_audited(struct store_conn *db, struct write *w, struct err *err)
{
    if (tenant_tx(db, tenant_of(w->req), write_body, w, err))
        return err->code;
    sites_changed(); /* this process's cached pages are old now */
    return ERR_OK;
}

/* A statement that must change exactly one row (else ERR_NOT_FOUND): the ctx of run_one. */
struct stmt {
    const char *sql;
    const struct store_val *args;
    size_t nargs;
    const char *conflict; /* the message of a unique violation, or NULL */
};

/* The statement's values, counted (STORE_ARGS for a struct stmt). */
#define STMT_ARGS(...)                                                                                                             \
    .args = (const struct store_val[]){__VA_ARGS__},                                                                               \
    .nargs = sizeof((const struct store_val[]){__VA_ARGS__}) / sizeof(struct store_val)

static enum err_code run_one(struct store_conn *c, void *ctx, struct err *err)
{
    const struct stmt *s = ctx;
    int64_t changes = 0;

    if (store_run(c, s->sql, s->args, s->nargs, &changes, err)) {
        if (err->code == ERR_CONFLICT && s->conflict)
            err_set(err, ERR_CONFLICT, "%s", s->conflict);
        return err->code;
    }
    return changes == 1 ? ERR_OK : err_set(err, ERR_NOT_FOUND, "not found");
}

/* ---- sites ---- */

#define SITE_COLUMNS "id, slug, name, createdByAccountId, createdAt, updatedAt"

static json_t *site_row(struct store_stmt *st)
{
    static const char *const cols[] = {"id", "slug", "name", "createdByAccountId", "createdAt", "updatedAt"};
    return row_object(st, cols, (int)ARRAY_LEN(cols), NULL);
}

static json_t *site_load(struct store_conn *db, const char *tenant, const char *id, struct err *err)
{
    return page_row(db, "SELECT " SITE_COLUMNS " FROM sites WHERE tenantId = ? AND id = ?",
                    STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), site_row, err);
}

#define SETTINGS_COLUMNS "title, logoUrl, accentColor, apps, platforms, footer, draftsPreviewable, autoPublishNotes, updatedAt"

static json_t *settings_row(struct store_stmt *st)
{
    static const char *const cols[] = {"title",  "logoUrl",           "accentColor",      "apps",     "platforms",
                                       "footer", "draftsPreviewable", "autoPublishNotes", "updatedAt"};
    static const char *const bools[] = {"draftsPreviewable", "autoPublishNotes", NULL};
    json_t *row = row_object(st, cols, (int)ARRAY_LEN(cols), bools);

    for (int i = 3; i <= 4; i++) {
        json_t *list = json_loads(store_col_text(st, i), 0, NULL);
        json_object_set_new(row, cols[i], json_is_array(list) ? list : json_array());
        if (!json_is_array(list))
            json_decref(list);
    }
    return row;
}

static json_t *settings_load(struct store_conn *db, const char *tenant, const char *site, struct err *err)
{
    return page_row(db, "SELECT " SETTINGS_COLUMNS " FROM site_settings WHERE tenantId = ? AND siteId = ?",
                    STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(site)), settings_row, err);
}

/* The site with its settings, or NULL (another tenant's is ERR_NOT_FOUND). Caller owns. */
static json_t *site_full(struct store_conn *db, const char *tenant, const char *id, struct err *err)
{
    json_t *site = site_load(db, tenant, id, err), *settings;

    if (!site)
        return NULL;
    if (!(settings = settings_load(db, tenant, id, err))) {
        json_decref(site);
        return NULL;
    }
    json_object_set_new(site, "settings", settings);
    return site;
}

enum err_code sites_list(struct request *req, struct err *err)
{
    struct page p;

    if (page_parse(req, &p, err))
        return err->code;
    return page_respond(req, &p,
                        "SELECT " SITE_COLUMNS " FROM sites WHERE tenantId = ? AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "
                        "ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(tenant_of(req)), PAGE_ARGS(&p)), 4, 0, site_row, err);
}

enum err_code site_get(struct request *req, struct err *err)
{
    struct store_conn *db;
    json_t *site;

    if (request_db(req, &db, err) || !(site = site_full(db, tenant_of(req), request_param(req, "siteId"), err)))
        return err->code;
    response_json(req, 200, site);
    return ERR_OK;
}

/* Answers the site (201 or 200) after a write. */
static enum err_code site_answer(struct request *req, struct store_conn *db, const char *id, int status, struct err *err)
{
    json_t *site = site_full(db, tenant_of(req), id, err);

    if (!site)
        return err->code;
    response_json(req, status, site);
    return ERR_OK;
}

static enum err_code slug_check(const json_t *body, struct err *err)
{
    const char *slug = json_string_value(json_object_get(body, "slug"));

    if (slug && !site_slug_valid(slug))
        err_detail(err, "slug", "must be 1 to 63 of a-z, 0-9 and -, starting with a letter or digit");
    return err->ndetails ? err_set(err, ERR_INVALID, "invalid site") : ERR_OK;
}

struct site_tx {
    const struct request *req;
    const char *id;
};

static enum err_code site_insert(struct store_conn *c, void *ctx, struct err *err)
{
    struct site_tx *t = ctx;
    const json_t *body = t->req->body;
    const char *name = json_string_value(json_object_get(body, "name"));
    char now[TIMESTAMP_SIZE];
    struct stmt s;

    clock_now(now);
    s = (struct stmt){.sql = "INSERT INTO sites (id, tenantId, slug, name, createdByAccountId, createdAt, updatedAt) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      .conflict = "another site has this slug",
                      STMT_ARGS(STORE_TEXT(t->id), STORE_TEXT(tenant_of(t->req)),
                                STORE_TEXT(json_string_value(json_object_get(body, "slug"))), STORE_TEXT(name),
                                STORE_TEXT(principal_of(t->req)->account_id), STORE_TIME(now), STORE_TIME(now))};
    if (run_one(c, &s, err))
        return err->code;
    return store_run(c, "INSERT INTO site_settings (siteId, tenantId, title, updatedAt) VALUES (?, ?, ?, ?)",
                     STORE_ARGS(STORE_TEXT(t->id), STORE_TEXT(tenant_of(t->req)), STORE_TEXT(name), STORE_TIME(now)), NULL, err);
}

enum err_code site_create(struct request *req, struct err *err)
{
    char id[UUID_SIZE];
    struct site_tx t = {.req = req, .id = id};
    struct write w = {.req = req, .fn = site_insert, .ctx = &t, .action = "site.create", .target_type = "site", .target_id = id};
    struct store_conn *db;

    if (slug_check(req->body, err) || request_db(req, &db, err))
        return err->code;
    rand_uuid(id);
    w.details = json_pack("{s:O}", "slug", json_object_get(req->body, "slug"));
    write_audited(db, &w, err);
    json_decref(w.details);
    return err->code ? err->code : site_answer(req, db, id, 201, err);
}

enum err_code site_patch(struct request *req, struct err *err)
{
    const char *id = request_param(req, "siteId");
    const char *slug = json_string_value(json_object_get(req->body, "slug"));
    const char *name = json_string_value(json_object_get(req->body, "name"));
    char now[TIMESTAMP_SIZE];
    struct stmt s;
    struct write w = {.req = req, .fn = run_one, .ctx = &s, .action = "site.update", .target_type = "site", .target_id = id};
    struct store_conn *db;
    json_t *site;

    if (request_db(req, &db, err) || !(site = site_load(db, tenant_of(req), id, err))) /* another tenant's: 404 whatever the body */
        return err->code;
    json_decref(site);
    if (slug_check(req->body, err))
        return err->code;
    clock_now(now);
    s = (struct stmt){.sql = "UPDATE sites SET slug = COALESCE(?, slug), name = COALESCE(?, name), updatedAt = ? "
                             "WHERE tenantId = ? AND id = ?",
                      .conflict = "another site has this slug",
                      STMT_ARGS(STORE_TEXT(slug), STORE_TEXT(name), STORE_TIME(now), STORE_TEXT(tenant_of(req)), STORE_TEXT(id))};
    return write_audited(db, &w, err) ? err->code : site_answer(req, db, id, 200, err);
}

/* The host names of a site's domains (to forget them from the cache), or NULL. Caller owns. */
static json_t *site_hosts(struct store_conn *db, const char *tenant, const char *site, struct err *err)
{
    struct store_stmt *st;
    json_t *hosts = json_array();
    int rc;

    if (store_select(db, "SELECT hostName, tenantId FROM domains WHERE tenantId = ? AND siteId = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(site)), &st, err)) {
        json_decref(hosts);
        return NULL;
    }
    while ((rc = store_next(st, err)) == 1)
        json_array_append_new(hosts, json_string(store_col_text(st, 0)));
    store_finish(st);
    if (rc < 0) {
        json_decref(hosts);
        return NULL;
    }
    return hosts;
}

static void hosts_forget(json_t *hosts)
{
    size_t i;
    json_t *h;

    json_array_foreach(hosts, i, h) sites_host_forget(json_string_value(h));
    json_decref(hosts);
}

enum err_code site_delete(struct request *req, struct err *err)
{
    const char *id = request_param(req, "siteId");
    struct stmt s;
    struct write w = {.req = req, .fn = run_one, .ctx = &s, .action = "site.delete", .target_type = "site", .target_id = id};
    struct store_conn *db;
    json_t *hosts;

    if (request_db(req, &db, err) || !(hosts = site_hosts(db, tenant_of(req), id, err)))
        return err->code;
    s = (struct stmt){.sql = "DELETE FROM sites WHERE tenantId = ? AND id = ?",
                      STMT_ARGS(STORE_TEXT(tenant_of(req)), STORE_TEXT(id))};
    if (write_audited(db, &w, err) == ERR_OK)
        response_empty(req, 204);
    hosts_forget(hosts);
    return err->code;
}

enum err_code site_settings_get(struct request *req, struct err *err)
{
    struct store_conn *db;
    json_t *settings;

    if (request_db(req, &db, err) || !(settings = settings_load(db, tenant_of(req), request_param(req, "siteId"), err)))
        return err->code;
    response_json(req, 200, settings);
    return ERR_OK;
}

/* The body's field, or its schema default. Borrowed (the default hangs on the request). */
static json_t *field_or_default(struct request *req, const struct schema *s, const char *name)
{
    json_t *v = json_object_get(req->body, name);
    const struct field *f;

    if (v && !json_is_null(v))
        return v;
    f = schema_field(s, name);
    return f && f->def ? request_keep(req, json_loads(f->def, JSON_DECODE_ANY, NULL)) : NULL;
}

/* The platforms: of the catalogue (no empty array item). */
static void settings_check(json_t *plats, struct err *err)
{
    size_t i;
    json_t *v;

    json_array_foreach(plats, i, v)
    {
        bool known = false;
        for (int k = 0; json_is_string(v) && platforms[k]; k++)
            known |= strcmp(platforms[k], json_string_value(v)) == 0;
        if (!known) {
            err_detail(err, "platforms", "must be a list of IOS, ANDROID and WEB");
            break;
        }
    }
}

/* 1 when id is one of tenant's store targets, 0 when not (a value that is no uuid is not looked up), -1 on error. */
static int target_known(struct store_conn *db, const char *tenant, const char *id, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (!uuid_valid(id))
        return 0;
    if (store_select(db, "SELECT 1 FROM tenant_target_integrations WHERE tenantId = ? AND id = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(id)), &st, err))
        return -1;
    rc = store_next(st, err);
    store_finish(st);
    return rc;
}

/*
 * The apps: each the id of one of the tenant's store targets
 * (tenant_target_integrations, active or not: docs/sites.md "Which apps a
 * site shows"). Another tenant's id reads as an unknown one. A detail for
 * the first bad item, naming it (cut to 64 bytes); a database error is the
 * error.
 */
static enum err_code apps_check(struct store_conn *db, const char *tenant, json_t *apps, struct err *err)
{
    size_t i;
    json_t *v;
    int rc;

    json_array_foreach(apps, i, v)
    {
        if (!json_is_string(v) || check_printable(v) || strlen(json_string_value(v)) > 255) {
            err_detail(err, "apps", "must be a list of store target ids (this tenant's target integrations)");
            break;
        }
        if ((rc = target_known(db, tenant, json_string_value(v), err)) < 0)
            return err->code;
        if (rc == 0) {
            err_detail(err, "apps", "%.64s is not a store target of this tenant", json_string_value(v));
            break;
        }
    }
    return ERR_OK;
}

enum err_code site_settings_put(struct request *req, struct err *err)
{
    const char *site = request_param(req, "siteId");
    const struct schema *sc = &site_settings_schema;
    json_t *apps = field_or_default(req, sc, "apps"), *plats = field_or_default(req, sc, "platforms");
    char now[TIMESTAMP_SIZE], *apps_text, *plats_text;
    struct stmt s;
    struct write w = {
        .req = req, .fn = run_one, .ctx = &s, .action = "site.settings.update", .target_type = "site", .target_id = site};
    struct store_conn *db;
    json_t *old;

    if (request_db(req, &db, err) || !(old = settings_load(db, tenant_of(req), site, err))) /* 404 whatever the body */
        return err->code;
    json_decref(old);
    settings_check(plats, err);
    if (apps_check(db, tenant_of(req), apps, err))
        return err->code;
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid site settings");
    apps_text = json_dumps(apps, JSON_COMPACT);
    plats_text = json_dumps(plats, JSON_COMPACT);
    clock_now(now);
    s = (struct stmt){
        .sql = "UPDATE site_settings SET title = ?, logoUrl = ?, accentColor = ?, apps = ?, platforms = ?, "
               "footer = ?, draftsPreviewable = ?, autoPublishNotes = ?, updatedAt = ? WHERE tenantId = ? AND siteId = ?",
        STMT_ARGS(STORE_TEXT(json_string_value(json_object_get(req->body, "title"))),
                  STORE_TEXT(json_string_value(json_object_get(req->body, "logoUrl"))),
                  STORE_TEXT(json_string_value(field_or_default(req, sc, "accentColor"))), STORE_TEXT(apps_text),
                  STORE_TEXT(plats_text), STORE_TEXT(json_string_value(json_object_get(req->body, "footer"))),
                  STORE_BOOL(json_is_true(field_or_default(req, sc, "draftsPreviewable"))),
                  STORE_BOOL(json_is_true(field_or_default(req, sc, "autoPublishNotes"))), STORE_TIME(now),
                  STORE_TEXT(tenant_of(req)), STORE_TEXT(site))};
    write_audited(db, &w, err);
    free(apps_text);
    free(plats_text);
    if (err->code)
        return err->code;
    return site_settings_get(req, err);
}

/* ---- posts ---- */

#define POST_COLUMNS                                                                                                               \
    "id, siteId, title, slug, body, status, publishedAt, releaseId, createdByAccountId, createdAt, updatedAt, deletedAt"

/* A scheduled post whose time has come reads PUBLISHED: the public pages show it from then on (docs/sites.md). */
static const char *post_status(const char *status, const char *published_at, const char *now)
{
    return strcmp(status, "SCHEDULED") == 0 && published_at && strcmp(published_at, now) <= 0 ? "PUBLISHED" : status;
}

static json_t *post_row(struct store_stmt *st)
{
    static const char *const cols[] = {
        "id",        "siteId",    "title",    "slug", "body", "status", "publishedAt", "releaseId", "createdByAccountId",
        "createdAt", "updatedAt", "deletedAt"};
    json_t *row = row_object(st, cols, (int)ARRAY_LEN(cols), NULL);
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    json_object_set_new(row, "status", json_string(post_status(store_col_text(st, 5), store_col_text(st, 6), now)));
    return row;
}

static json_t *post_load(struct store_conn *db, const struct request *req, struct err *err)
{
    const char *id = request_param(req, "postId");

    if (!uuid_valid(id)) {
        err_set(err, ERR_NOT_FOUND, "not found");
        return NULL;
    }
    return page_row(db, "SELECT " POST_COLUMNS " FROM posts WHERE tenantId = ? AND siteId = ? AND id = ?",
                    STORE_ARGS(STORE_TEXT(tenant_of(req)), STORE_TEXT(request_param(req, "siteId")), STORE_TEXT(id)), post_row,
                    err);
}

enum err_code posts_list(struct request *req, struct err *err)
{
    const char *deleted = request_query(req, "deleted");
    struct store_conn *db;
    struct page p;
    json_t *site;

    page_parse(req, &p, err);
    if (deleted && strcmp(deleted, "true") != 0 && strcmp(deleted, "false") != 0)
        err_detail(err, "deleted", "must be true or false");
    if (err->ndetails)
        return err_set(err, ERR_INVALID, "invalid query parameters");
    if (request_db(req, &db, err) || !(site = site_load(db, tenant_of(req), request_param(req, "siteId"), err)))
        return err->code;
    json_decref(site);
    return page_respond(req, &p,
                        "SELECT " POST_COLUMNS " FROM posts WHERE tenantId = ? AND siteId = ? AND (deletedAt IS NULL) = ? "
                        "AND (createdAt <= ? AND (createdAt < ? OR id < ?)) ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(tenant_of(req)), STORE_TEXT(request_param(req, "siteId")),
                                   STORE_BOOL(!deleted || strcmp(deleted, "false") == 0), PAGE_ARGS(&p)),
                        9, 0, post_row, err);
}

enum err_code post_get(struct request *req, struct err *err)
{
    struct store_conn *db;
    json_t *post;

    if (request_db(req, &db, err) || !(post = post_load(db, req, err)))
        return err->code;
    response_json(req, 200, post);
    return ERR_OK;
}

/*
 * The post as it will be: fields of body over those of old (NULL for a new
 * post), checked together (every problem in one 400). publishedAt: a draft
 * has none; a scheduled post needs one; a post published without one is
 * published now (or keeps the time it had).
 */
struct post_fields {
    const char *title, *slug, *body, *status;
    char published_at[TIMESTAMP_SIZE];
    bool has_published_at;
};

static const char *merged(const json_t *body, const json_t *old, const char *name)
{
    const char *v = json_string_value(json_object_get(body, name));
    return v ? v : json_string_value(json_object_get(old, name));
}

static enum err_code post_fields(const json_t *body, const json_t *old, struct post_fields *f, struct err *err)
{
    const char *given = json_string_value(json_object_get(body, "publishedAt"));
    const char *kept = json_string_value(json_object_get(old, "publishedAt"));
    int64_t ms;

    f->title = merged(body, old, "title");
    f->slug = merged(body, old, "slug");
    f->body = merged(body, old, "body");
    f->status = merged(body, old, "status");
    if (!f->status)
        f->status = "DRAFT";
    if (!post_slug_valid(f->slug))
        err_detail(err, "slug",
                   "must be 1 to 100 of a-z, 0-9, -, _ and ., starting with a letter or digit (and not feed.atom or preview)");
    f->has_published_at = strcmp(f->status, "DRAFT") != 0;
    if (given && !f->has_published_at)
        err_detail(err, "publishedAt", "must be absent for a draft");
    else if (given && clock_parse(given, &ms) == 0)
        clock_format(ms, f->published_at);
    else if (strcmp(f->status, "SCHEDULED") == 0 && !given)
        err_detail(err, "publishedAt", "is required for a scheduled post");
    else if (kept && f->has_published_at && strcmp(json_string_value(json_object_get(old, "status")), "DRAFT") != 0)
        snprintf(f->published_at, sizeof f->published_at, "%s", kept);
    else
        clock_now(f->published_at);
    return err->ndetails ? err_set(err, ERR_INVALID, "invalid post") : ERR_OK;
}

struct post_tx {
    const struct request *req;
    const struct post_fields *f;
    const char *id; /* NULL: insert, with a fresh id into made */
    char made[UUID_SIZE];
};

static enum err_code post_save(struct store_conn *c, void *ctx, struct err *err)
{
    struct post_tx *t = ctx;
    const struct post_fields *f = t->f;
    const char *at = f->has_published_at ? f->published_at : NULL;
    char now[TIMESTAMP_SIZE];
    struct stmt s;

    if (!t->id) {
        struct post_new p = {.site_id = request_param(t->req, "siteId"),
                             .title = f->title,
                             .slug = f->slug,
                             .body = f->body,
                             .status = f->status,
                             .published_at = at,
                             .account_id = principal_of(t->req)->account_id};
        if (post_insert(c, tenant_of(t->req), &p, t->made, err) == ERR_CONFLICT)
            err_set(err, ERR_CONFLICT, "another post of this site has this slug");
        return err->code;
    }
    clock_now(now);
    s = (struct stmt){.sql = "UPDATE posts SET title = ?, slug = ?, body = ?, status = ?, publishedAt = ?, updatedAt = ? "
                             "WHERE tenantId = ? AND siteId = ? AND id = ?",
                      .conflict = "another post of this site has this slug",
                      STMT_ARGS(STORE_TEXT(f->title), STORE_TEXT(f->slug), STORE_TEXT(f->body), STORE_TEXT(f->status),
                                STORE_TIME(at), STORE_TIME(now), STORE_TEXT(tenant_of(t->req)),
                                STORE_TEXT(request_param(t->req, "siteId")), STORE_TEXT(t->id))};
    return run_one(c, &s, err);
}

/* Creates (old NULL) or updates the post, audited, and answers it. */
static enum err_code post_write(struct request *req, struct store_conn *db, json_t *old, struct err *err)
{
    struct post_fields f;
    struct post_tx t = {.req = req, .f = &f, .id = json_string_value(json_object_get(old, "id"))};
    struct write w = {.req = req, .fn = post_save, .ctx = &t, .target_type = "post"};
    bool was_draft = !old || strcmp(json_string_value(json_object_get(old, "status")), "DRAFT") == 0;
    const char *body = json_string_value(json_object_get(req->body, "body")); /* NULL: the body is not written */
    const char *was = json_string_value(json_object_get(old, "body"));
    int64_t grow = body ? (int64_t)strlen(body) - (was ? (int64_t)strlen(was) : 0) : 0; /* the bytes kept grow by */
    json_t *post;

    if (post_fields(req->body, old, &f, err) || usage_check_storage(db, tenant_of(req), grow, err)) /* 429 */
        return err->code;
    w.action = old ? "post.update" : "post.create";
    w.target_id = old ? t.id : t.made;
    w.details = json_pack("{s:s, s:s}", "slug", f.slug, "status", f.status);
    write_audited(db, &w, err);
    json_decref(w.details);
    if (err->code)
        return err->code;
    if (was_draft && strcmp(f.status, "DRAFT") != 0)
        usage_count(tenant_of(req), request_param(req, "siteId"), USAGE_POSTS_PUBLISHED, 1);
    post = page_row(db, "SELECT " POST_COLUMNS " FROM posts WHERE tenantId = ? AND id = ?",
                    STORE_ARGS(STORE_TEXT(tenant_of(req)), STORE_TEXT(old ? t.id : t.made)), post_row, err);
    if (!post)
        return err->code;
    response_json(req, old ? 200 : 201, post);
    return ERR_OK;
}

enum err_code post_create(struct request *req, struct err *err)
{
    struct store_conn *db;
    json_t *site;

    if (request_db(req, &db, err) || !(site = site_load(db, tenant_of(req), request_param(req, "siteId"), err)))
        return err->code;
    json_decref(site);
    return post_write(req, db, NULL, err);
}

enum err_code post_patch(struct request *req, struct err *err)
{
    struct store_conn *db;
    json_t *old;
    enum err_code rc;

    if (request_db(req, &db, err) || !(old = post_load(db, req, err)))
        return err->code;
    if (!json_is_null(json_object_get(old, "deletedAt"))) {
        json_decref(old);
        return err_set(err, ERR_CONFLICT, "the post is deleted: restore it first");
    }
    rc = post_write(req, db, old, err);
    json_decref(old);
    return rc;
}

/* Soft delete (deleted false -> true) or restore. */
static enum err_code post_mark(struct request *req, bool deleted, struct err *err)
{
    const char *id = request_param(req, "postId");
    char now[TIMESTAMP_SIZE];
    struct stmt s;
    struct write w = {.req = req, .fn = run_one, .ctx = &s, .target_type = "post", .target_id = id};
    struct store_conn *db;
    json_t *old, *post;

    if (request_db(req, &db, err) || !(old = post_load(db, req, err)))
        return err->code;
    if (json_is_null(json_object_get(old, "deletedAt")) != deleted) {
        json_decref(old);
        return err_set(err, ERR_CONFLICT, deleted ? "the post is deleted already" : "the post is not deleted");
    }
    json_decref(old);
    clock_now(now);
    s = (struct stmt){.sql = "UPDATE posts SET deletedAt = ?, updatedAt = ? WHERE tenantId = ? AND siteId = ? AND id = ?",
                      STMT_ARGS(STORE_TIME(deleted ? now : NULL), STORE_TIME(now), STORE_TEXT(tenant_of(req)),
                                STORE_TEXT(request_param(req, "siteId")), STORE_TEXT(id))};
    w.action = deleted ? "post.delete" : "post.restore";
    if (write_audited(db, &w, err))
        return err->code;
    if (deleted) {
        response_empty(req, 204);
        return ERR_OK;
    }
    if (!(post = post_load(db, req, err)))
        return err->code;
    response_json(req, 200, post);
    return ERR_OK;
}

enum err_code post_delete(struct request *req, struct err *err)
{
    return post_mark(req, true, err);
}

enum err_code post_restore(struct request *req, struct err *err)
{
    return post_mark(req, false, err);
}

/* ---- custom domains ---- */

#define DOMAIN_COLUMNS                                                                                                             \
    "id, siteId, hostName, status, challengeToken, lastError, verifiedAt, lastCheckedAt, createdAt, updatedAt, failures"

static json_t *domain_row(struct store_stmt *st)
{
    static const char *const cols[] = {"id",        "siteId",     "hostName",      "status",    "challengeToken",
                                       "lastError", "verifiedAt", "lastCheckedAt", "createdAt", "updatedAt"};
    json_t *row = row_object(st, cols, (int)ARRAY_LEN(cols), NULL);
    char url[512];

    snprintf(url, sizeof url, "http://%s" PROOF_CHALLENGE_PATH "%s", store_col_text(st, 2), store_col_text(st, 4));
    json_object_set_new(row, "challengeUrl", json_string(url));
    json_object_set_new(row, "failures", json_integer(store_col_int(st, 10)));
    return row;
}

static json_t *domain_load(struct store_conn *db, const struct request *req, const char *id, struct err *err)
{
    if (!uuid_valid(id)) {
        err_set(err, ERR_NOT_FOUND, "not found");
        return NULL;
    }
    return page_row(db, "SELECT " DOMAIN_COLUMNS " FROM domains WHERE tenantId = ? AND siteId = ? AND id = ?",
                    STORE_ARGS(STORE_TEXT(tenant_of(req)), STORE_TEXT(request_param(req, "siteId")), STORE_TEXT(id)), domain_row,
                    err);
}

enum err_code domains_list(struct request *req, struct err *err)
{
    struct store_conn *db;
    struct page p;
    json_t *site;

    if (page_parse(req, &p, err) || request_db(req, &db, err) ||
        !(site = site_load(db, tenant_of(req), request_param(req, "siteId"), err)))
        return err->code;
    json_decref(site);
    return page_respond(req, &p,
                        "SELECT " DOMAIN_COLUMNS " FROM domains WHERE tenantId = ? AND siteId = ? "
                        "AND (createdAt <= ? AND (createdAt < ? OR id < ?)) ORDER BY createdAt DESC, id DESC LIMIT ?",
                        STORE_ARGS(STORE_TEXT(tenant_of(req)), STORE_TEXT(request_param(req, "siteId")), PAGE_ARGS(&p)), 8, 0,
                        domain_row, err);
}

enum err_code domain_create(struct request *req, struct err *err)
{
    char *host = arena_strdup(req->arena, json_string_value(json_object_get(req->body, "hostName")));
    char id[UUID_SIZE], now[TIMESTAMP_SIZE], token[B64URL_LEN(32) + 1];
    unsigned char raw[32];
    struct stmt s;
    struct write w = {.req = req, .fn = run_one, .ctx = &s, .action = "domain.create", .target_type = "domain", .target_id = id};
    struct store_conn *db;
    json_t *site, *domain;

    if (request_db(req, &db, err) || !(site = site_load(db, tenant_of(req), request_param(req, "siteId"), err)))
        return err->code;
    json_decref(site);
    for (char *p = host; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!host_name_valid(host)) {
        err_detail(err, "hostName", "must be a DNS host name (letters, digits, hyphens, two labels at least), not an address");
        return err_set(err, ERR_INVALID, "invalid domain");
    }
    rand_uuid(id);
    rand_bytes(raw, sizeof raw);
    b64url_encode(raw, sizeof raw, token);
    clock_now(now);
    s = (struct stmt){.sql = "INSERT INTO domains (id, tenantId, siteId, hostName, status, challengeToken, createdAt, updatedAt) "
                             "VALUES (?, ?, ?, ?, 'PENDING', ?, ?, ?)",
                      .conflict = "this host name is a domain of a site already",
                      STMT_ARGS(STORE_TEXT(id), STORE_TEXT(tenant_of(req)), STORE_TEXT(request_param(req, "siteId")),
                                STORE_TEXT(host), STORE_TEXT(token), STORE_TIME(now), STORE_TIME(now))};
    w.details = json_pack("{s:s}", "hostName", host);
    write_audited(db, &w, err);
    json_decref(w.details);
    if (err->code || !(domain = domain_load(db, req, id, err)))
        return err->code;
    response_json(req, 201, domain);
    return ERR_OK;
}

enum err_code domain_delete(struct request *req, struct err *err)
{
    const char *id = request_param(req, "domainId");
    struct stmt s;
    struct write w = {.req = req, .fn = run_one, .ctx = &s, .action = "domain.delete", .target_type = "domain", .target_id = id};
    struct store_conn *db;
    json_t *domain;

    if (request_db(req, &db, err) || !(domain = domain_load(db, req, id, err)))
        return err->code;
    request_keep(req, domain);
    s = (struct stmt){.sql = "DELETE FROM domains WHERE tenantId = ? AND siteId = ? AND id = ?",
                      STMT_ARGS(STORE_TEXT(tenant_of(req)), STORE_TEXT(request_param(req, "siteId")), STORE_TEXT(id))};
    if (write_audited(db, &w, err))
        return err->code;
    sites_host_forget(json_string_value(json_object_get(domain, "hostName")));
    response_empty(req, 204);
    return ERR_OK;
}

/* A domain check in flight: the request waits (suspended) while the loop fetches the token. */
struct check {
    struct request *req;
    char id[UUID_SIZE], host[HOST_NAME_MAX_LEN + 1], token[B64URL_LEN(32) + 1];
    bool dns; /* a TXT record of PROOF_SITE_LABEL.host, not the challenge URL */
    bool proven;
    char problem[PROOF_PROBLEM_SIZE];
};

/* On the pool: the outcome saved (audited), the domain answered, the request resumed. */
static void check_finish(void *arg)
{
    struct check *k = arg;
    struct request *req = k->req;
    char now[TIMESTAMP_SIZE];
    struct stmt s;
    struct write w = {.req = req, .fn = run_one, .ctx = &s, .action = "domain.verify", .target_type = "domain", .target_id = k->id};
    struct store_conn *db;
    json_t *domain = NULL;
    struct err err;

    err_clear(&err);
    clock_now(now);
    s = (struct stmt){.sql =
                          "UPDATE domains SET status = ?, lastError = ?, verifiedAt = COALESCE(?, verifiedAt), lastCheckedAt = ?, "
                          "proofMethod = ?, failures = 0, failingSince = NULL, updatedAt = ? WHERE tenantId = ? AND id = ?",
                      STMT_ARGS(STORE_TEXT(k->proven ? "VERIFIED" : "FAILED"), STORE_TEXT(k->proven ? NULL : k->problem),
                                STORE_TIME(k->proven ? now : NULL), STORE_TIME(now), STORE_TEXT(k->dns ? "dns" : "http"),
                                STORE_TIME(now), STORE_TEXT(tenant_of(req)), STORE_TEXT(k->id))};
    w.details = json_pack("{s:s, s:s, s:b}", "hostName", k->host, "method", k->dns ? "dns" : "http", "verified", k->proven);
    if (request_db(req, &db, &err) == ERR_OK && write_audited(db, &w, &err) == ERR_OK)
        domain = domain_load(db, req, k->id, &err);
    json_decref(w.details);
    sites_host_forget(k->host);
    usage_count(tenant_of(req), request_param(req, "siteId"), USAGE_DOMAIN_CHECKS, 1);
    if (domain)
        response_json(req, 200, domain);
    else
        response_error(req, &err);
    free(k);
    request_resume(req);
}

/* On the loop thread: only the verdict is taken; the rest runs on the pool. */
static void check_done(const struct outbound_response *r, void *ctx)
{
    struct check *k = ctx;

    k->proven = proof_http_verdict(r, k->token, k->problem);
    if (workpool_submit(sites()->pool, check_finish, k) != 0) {
        response_error(k->req, &(struct err){.code = ERR_UNAVAILABLE, .message = "the server is busy; try again shortly"});
        request_resume(k->req);
        free(k);
    }
}

/* On the DNS pool: the TXT question to the operator's resolver (blocking), then the outcome. */
static void dns_check(void *arg)
{
    struct check *k = arg;

    k->proven = proof_dns(sites()->dns_resolver, sites()->loop->timeout_ms, PROOF_SITE_LABEL, k->host, k->token, k->problem);
    check_finish(k);
}

enum err_code domain_verify(struct request *req, struct err *err)
{
    const struct sites_env *env = sites();
    struct store_conn *db;
    json_t *domain;
    struct check *k;
    const char *method = json_string_value(json_object_get(req->body, "method"));
    bool dns = method && strcmp(method, "dns") == 0;

    if (dns && !(env->dns_resolver && env->dns_resolver[0])) {
        err_detail(err, "method", "this server has no DNS resolver configured (SLIPWAY_DNS_RESOLVER): prove over http");
        return err_set(err, ERR_INVALID, "invalid verification");
    }
    if (request_db(req, &db, err) || !(domain = domain_load(db, req, request_param(req, "domainId"), err)))
        return err->code;
    k = xcalloc(1, sizeof *k);
    k->req = req;
    k->dns = dns;
    snprintf(k->id, sizeof k->id, "%s", json_string_value(json_object_get(domain, "id")));
    snprintf(k->host, sizeof k->host, "%s", json_string_value(json_object_get(domain, "hostName")));
    snprintf(k->token, sizeof k->token, "%s", json_string_value(json_object_get(domain, "challengeToken")));
    json_decref(domain);
    if (dns) {
        request_suspend(req);
        if (workpool_submit(env->dns_pool, dns_check, k) != 0) {
            request_resume(req);
            free(k);
            return err_set(err, ERR_UNAVAILABLE, "the server is busy; try again shortly");
        }
        return ERR_OK;
    }
    request_suspend(req);
    if (proof_http_submit(env, k->host, k->token, check_done, k, err)) {
        request_resume(req);
        free(k);
        return err->code;
    }
    return ERR_OK;
}
