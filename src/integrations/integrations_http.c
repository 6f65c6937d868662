/*
 * integrations_http.c: POST|GET /api/v1/{tenantId}/integrations/{category},
 * GET|PATCH|DELETE .../{id}. Bodies depend on the integration type, so the
 * route takes any JSON object and integration_write validates it against
 * the type's descriptor.
 */
#include "integrations/integrations_http.h"

#include "http/page.h"
#include "integrations/integrations.h"
#include "integrations/webhooks.h"
#include "setup/setup.h"
#include "tenancy/tenants.h"

/* The keyring of integration credentials (integrations_http_start). */
static const struct keyring *keys;

void integrations_http_start(const struct keyring *k)
{
    keys = k;
}

static enum err_code category_of(struct request *req, const struct category **out, struct err *err)
{
    *out = category_by_slug(request_param(req, "category"));
    return *out ? ERR_OK : err_set(err, ERR_NOT_FOUND, "not found");
}

enum err_code integration_types_get(struct request *req, struct err *err)
{
    UNUSED(err);
    response_json(req, 200, catalog_describe());
    return ERR_OK;
}

/* ?include=scm,target on pipelines: which related integrations to embed. */
static enum err_code includes(struct request *req, const struct category *cat, bool *scm, bool *target, struct err *err)
{
    const char *inc = request_query(req, "include");
    *scm = *target = false;
    if (!inc)
        return ERR_OK;
    if (cat->id != CAT_PIPELINES)
        return err_set(err, ERR_INVALID, "include is only for pipelines");
    for (const char *p = inc; *p;) {
        size_t n = strcspn(p, ",");
        if (n == 3 && strncmp(p, "scm", 3) == 0)
            *scm = true;
        else if (n == 6 && strncmp(p, "target", 6) == 0)
            *target = true;
        else
            err_detail(err, "include", "must list scm and/or target, separated by commas");
        p += n + (p[n] == ',');
    }
    return err->ndetails ? err_set(err, ERR_INVALID, "invalid include") : ERR_OK;
}

static json_t *summary(struct store_conn *db, enum category_id cat, const char *tenant, const char *id)
{
    static const char *const keep[] = {"organization", "repoName", "appleBundleId", "googlePackageName", "firebaseAppId", NULL};
    struct integration_row *r;
    struct err err;
    json_t *j;

    err_clear(&err);
    if (!id || integration_load(db, keys, category_get(cat), tenant, id, false, &r, &err))
        return json_null();
    j = json_pack("{s:s, s:s, s:o, s:s}", "id", r->id, "type", r->prov ? r->prov->type : "", "displayName",
                  json_deep_copy(json_object_get(r->config, "displayName")), "verificationStatus", r->status);
    for (const char *const *k = keep; *k; k++)
        if (json_object_get(r->config, *k))
            json_object_set_new(j, *k, json_deep_copy(json_object_get(r->config, *k)));
    integration_row_free(r);
    return j;
}

/*
 * Not an access check (the route table has those): what an answer shows
 * depends on who reads it. Owners see secret fields' masks and the fields
 * that could not be decrypted; editors and viewers see neither.
 */
static bool shows_masks(const struct request *req)
{
    return principal_of(req)->role == ROLE_OWNER;
}

static json_t *render(struct request *req, struct store_conn *db, const struct integration_row *r, bool scm, bool target)
{
    json_t *j = integration_json(r, principal_of(req)->role);
    if (scm)
        json_object_set_new(j, "scm",
                            summary(db, CAT_SCM, r->tenant_id, json_string_value(json_object_get(r->config, "scmIntegrationId"))));
    if (target)
        json_object_set_new(
            j, "target",
            summary(db, CAT_TARGETS, r->tenant_id, json_string_value(json_object_get(r->config, "targetIntegrationId"))));
    return j;
}

/* Answers one integration as the caller may see it. */
static enum err_code respond_one(struct request *req, struct store_conn *db, const struct category *cat, const char *id, int status,
                                 struct err *err)
{
    struct integration_row *r;
    bool scm, target;

    if (includes(req, cat, &scm, &target, err) ||
        integration_load(db, keys, cat, principal_of(req)->tenant_id, id, shows_masks(req), &r, err))
        return err->code;
    response_json(req, status, render(req, db, r, scm, target));
    integration_row_free(r);
    return ERR_OK;
}

static enum err_code write_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct integration_write *w = ctx;
    w->c = c;
    if (integration_write(w, err))
        return err->code;
    return setup_refresh(c, w->tenant_id, w->account_id, NULL, err); /* the wizard's flags follow the integrations */
}

static enum err_code write(struct request *req, const char *id, struct err *err)
{
    const struct category *cat;
    struct store_conn *db;
    struct integration_write w = {.req = req,
                                  .keys = keys,
                                  .tenant_id = principal_of(req)->tenant_id,
                                  .account_id = principal_of(req)->account_id,
                                  .id = id,
                                  .body = req->body,
                                  .audit = true};
    enum err_code rc;

    if (category_of(req, &cat, err) || request_db(req, &db, err))
        return err->code;
    w.cat = cat;
    rc = tenant_tx(db, w.tenant_id, write_body, &w, err);
    secret_wipe_json(req->body);
    if (rc)
        return rc;
    return respond_one(req, db, cat, w.out_id, id ? 200 : 201, err);
}

enum err_code integrations_post(struct request *req, struct err *err)
{
    return write(req, NULL, err);
}

enum err_code integration_patch(struct request *req, struct err *err)
{
    return write(req, request_param(req, "id"), err);
}

enum err_code integration_get(struct request *req, struct err *err)
{
    const struct category *cat;
    struct store_conn *db;

    if (category_of(req, &cat, err) || request_db(req, &db, err))
        return err->code;
    return respond_one(req, db, cat, request_param(req, "id"), 200, err);
}

enum err_code integrations_list(struct request *req, struct err *err)
{
    const struct category *cat;
    struct store_conn *db;
    struct store_stmt *st;
    struct page p;
    bool scm, target;
    json_t *items;
    struct integration_row *rows[PAGE_MAX];
    int n = 0, rc;

    if (category_of(req, &cat, err) || page_parse(req, &p, err) || includes(req, cat, &scm, &target, err) ||
        request_db(req, &db, err))
        return err->code;
    if (store_select(db, cat->sql_list,
                     STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id), STORE_TIME(p.at), STORE_TIME(p.at), STORE_TEXT(p.id),
                                STORE_INT(page_fetch(&p))),
                     &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1 && page_take(&p, store_col_text(st, 7), store_col_text(st, 0)))
        rows[n++] = integration_from_stmt(st, keys, cat, shows_masks(req));
    store_finish(st);
    /* Related rows are read after the list statement is finished (one statement at a time per connection). */
    items = json_array();
    for (int i = 0; i < n; i++) {
        if (rc >= 0)
            json_array_append_new(items, render(req, db, rows[i], scm, target));
        integration_row_free(rows[i]);
    }
    if (rc < 0) {
        json_decref(items);
        return err->code;
    }
    response_json(req, 200, page_result(req, &p, items));
    return ERR_OK;
}

static enum err_code delete_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct request *req = ctx;
    const struct category *cat = category_by_slug(request_param(req, "category"));

    if (integration_deleting(c, keys, cat, principal_of(req)->tenant_id, request_param(req, "id"), err) ||
        integration_delete(c, req, cat, principal_of(req)->tenant_id, request_param(req, "id"), err) ||
        webhooks_forget(c, principal_of(req)->tenant_id, request_param(req, "id"), err))
        return err->code;
    return setup_refresh(c, principal_of(req)->tenant_id, principal_of(req)->account_id, NULL, err);
}

enum err_code integration_delete_http(struct request *req, struct err *err)
{
    const struct category *cat;
    struct store_conn *db;

    if (category_of(req, &cat, err) || request_db(req, &db, err) ||
        tenant_tx(db, principal_of(req)->tenant_id, delete_body, req, err))
        return err->code;
    response_empty(req, 204);
    return ERR_OK;
}
