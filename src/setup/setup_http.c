#include "setup/setup_http.h"

#include "core/revcache.h"
#include "integrations/integrations.h"
#include "setup/setup.h"
#include "tenancy/tenants.h"

static struct revcache *status_cache;
static const struct keyring *keys;

void setup_http_start(struct revcache *cache, const struct keyring *k)
{
    status_cache = cache;
    keys = k;
}

static const char *const step_names[STEP__COUNT] = {"Connect source control", "Select target platforms", "Platform credentials",
                                                    "CI/CD pipelines", "Slack notifications"};
static const bool step_required[STEP__COUNT] = {true, true, true, false, false};

static json_t *status_json(struct request *req, struct store_conn *db, const struct setup_status *s, struct err *err)
{
    json_t *steps = json_array(), *integrations = json_array(), *next = json_null();
    struct store_stmt *st;
    int done = 0, rc;

    for (int pass = 0; pass < 2; pass++) /* first required steps, then optional ones */
        for (int i = 0; i < STEP__COUNT && json_is_null(next); i++)
            if (step_required[i] == (pass == 0) && !s->done[i])
                next = json_string(setup_step_ids[i]);
    for (int i = 0; i < STEP__COUNT; i++) {
        done += s->done[i];
        json_array_append_new(steps, json_pack("{s:s, s:s, s:b, s:b}", "id", setup_step_ids[i], "name", step_names[i], "required",
                                               step_required[i], "done", s->done[i]));
    }
    /* Document 000's second query, through the tenant_integrations view. */
    if (store_select(db,
                     "SELECT id, integrationType, displayName, verificationStatus, lastVerifiedAt "
                     "FROM tenant_integrations WHERE tenantId = ? ORDER BY integrationType, createdAt, id",
                     STORE_ARGS(STORE_TEXT(principal_of(req)->tenant_id)), &st, err) == ERR_OK) {
        while ((rc = store_next(st, err)) == 1) {
            const struct provider *p = provider_by_type(store_col_text(st, 1));
            json_array_append_new(integrations,
                                  json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "id", store_col_text(st, 0), "category",
                                            p ? category_get(p->category)->slug : "", "type", store_col_text(st, 1), "displayName",
                                            store_col_text(st, 2), "verificationStatus", store_col_text(st, 3), "lastVerifiedAt",
                                            json_text_or_null(store_col_text(st, 4))));
        }
        store_finish(st);
    }
    return json_pack("{s:b, s:o, s:o, s:o, s:O, s:O, s:o, s:i, s:o}", "setupComplete", s->complete, "setupCompletedAt",
                     json_text_or_null(s->completed_at[0] ? s->completed_at : NULL), "setupCompletedByAccountId",
                     json_text_or_null(s->completed_by[0] ? s->completed_by : NULL), "steps", steps, "selectedTargets", s->targets,
                     "selectedPlatforms", s->platforms, "nextStep", next, "progress", done * 100 / STEP__COUNT, "integrations",
                     integrations);
}

/*
 * The status is the same for every role, and changes only in transactions
 * that raise the tenant's revision (tenant_tx): an answer built at the
 * revision auth just read is served from the cache until the next change,
 * by whichever process makes it.
 */
enum err_code setup_get(struct request *req, struct err *err)
{
    struct revcache *cache = status_cache;
    struct setup_status s;
    struct store_conn *db;
    const char *cached;
    size_t len;
    json_t *body;

    cached = cache ? revcache_get(cache, principal_of(req)->tenant_id, principal_of(req)->tenant_revision, req->arena, &len) : NULL;
    if (cached) {
        response_static(req, 200, "application/json", cached, len);
        return ERR_OK;
    }
    if (request_db(req, &db, err) || setup_read(db, principal_of(req)->tenant_id, &s, err))
        return err->code;
    body = status_json(req, db, &s, err);
    setup_status_clear(&s);
    if (err->code) {
        json_decref(body);
        return err->code;
    }
    response_json(req, 200, body);
    if (cache && req->status == 200)
        revcache_put(cache, principal_of(req)->tenant_id, principal_of(req)->tenant_revision, req->resp_body, req->resp_len);
    return ERR_OK;
}

struct save_tx {
    struct request *req;
    json_t *body;
    struct setup_status status;
};

static enum err_code save_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct save_tx *t = ctx;
    setup_status_clear(&t->status);
    return setup_save(c, t->req, keys, t->body, &t->status, err);
}

/* Saves body (a document 001 section 9 object) and answers as section 9 shows. */
static enum err_code save(struct request *req, json_t *body, struct err *err)
{
    struct save_tx t = {.req = req, .body = body};
    struct store_conn *db;
    char message[160];
    int done = 0;
    enum err_code rc;

    if (request_db(req, &db, err))
        return err->code;
    rc = tenant_tx(db, principal_of(req)->tenant_id, save_body, &t, err);
    secret_wipe_json(req->body);
    if (rc)
        return rc;
    for (int i = 0; i < STEP__COUNT; i++)
        done += step_required[i] && t.status.done[i];
    if (t.status.complete)
        snprintf(message, sizeof message, "Release Management setup completed successfully");
    else
        snprintf(message, sizeof message, "Setup progress saved: %d of 3 required steps done", done);
    response_json(req, 200,
                  json_pack("{s:b, s:b, s:s, s:o}", "success", true, "setupComplete", t.status.complete, "message", message,
                            "completedAt", json_text_or_null(t.status.completed_at[0] ? t.status.completed_at : NULL)));
    setup_status_clear(&t.status);
    return ERR_OK;
}

enum err_code setup_post(struct request *req, struct err *err)
{
    return save(req, req->body, err);
}

enum err_code setup_step_put(struct request *req, struct err *err)
{
    const char *step = request_param(req, "step");
    json_t *body;
    enum err_code rc;

    if (strcmp(step, "targets") == 0 || strcmp(step, "credentials") == 0) {
        if (schema_validate(step[0] == 't' ? &setup_targets_schema : &setup_credentials_schema, req->body, err))
            return err->code;
        return save(req, req->body, err);
    }
    if (strcmp(step, "github") != 0 && strcmp(step, "cicd") != 0 && strcmp(step, "slack") != 0)
        return err_set(err, ERR_NOT_FOUND, "not found");
    body = json_pack("{s:O}", step, req->body);
    rc = save(req, body, err);
    json_decref(body);
    return rc;
}

/* The best verification status among the rows sql returns (VALID if any is), or "" when there is none. */
static enum err_code status_of(struct store_conn *db, const char *sql, const struct store_val *args, size_t n, char out[16],
                               struct err *err)
{
    struct store_stmt *st;
    int rc;

    out[0] = '\0';
    if (store_select(db, sql, args, n, &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1)
        if (!out[0] || strcmp(store_col_text(st, 0), "VALID") == 0) /* any VALID one will do */
            snprintf(out, 16, "%s", store_col_text(st, 0));
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

enum err_code setup_release_blockers(struct store_conn *db, const char *tenant, json_t *reasons, struct err *err)
{
    struct setup_status s;
    json_t *t;
    char status[16];
    size_t i;

    if (setup_read(db, tenant, &s, err))
        return err->code;
    if (!s.complete)
        json_array_append_new(reasons, json_string("Release Management setup is not complete"));
    if (status_of(db, "SELECT verificationStatus FROM tenant_scm_integrations WHERE tenantId = ? AND isActive = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_BOOL(true)), status, err))
        goto done;
    if (!status[0])
        json_array_append_new(reasons, json_string("No source control connection is configured"));
    else if (strcmp(status, "VALID") != 0)
        json_array_append_new(reasons, json_string("The source control connection is not verified (VALID)"));
    json_array_foreach(s.targets, i, t)
    {
        const char *type = json_string_value(t);
        char line[160];
        if (status_of(db,
                      "SELECT verificationStatus FROM tenant_target_integrations WHERE tenantId = ? AND targetType = ? AND "
                      "isActive = ?",
                      STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(type), STORE_BOOL(true)), status, err))
            goto done;
        if (!status[0])
            snprintf(line, sizeof line, "%s is selected but has no credentials", type);
        else if (strcmp(status, "VALID") != 0)
            snprintf(line, sizeof line, "%s credentials are %s, not VALID", type, status);
        else
            continue;
        json_array_append_new(reasons, json_string(line));
    }
done:
    setup_status_clear(&s);
    return err->code;
}

enum err_code setup_can_create_releases(struct request *req, struct err *err)
{
    struct store_conn *db;
    json_t *reasons = json_array();

    if (request_db(req, &db, err) || setup_release_blockers(db, principal_of(req)->tenant_id, reasons, err)) {
        json_decref(reasons);
        return err->code;
    }
    response_json(req, 200, json_pack("{s:b, s:o}", "allowed", json_array_size(reasons) == 0, "reasons", reasons));
    return ERR_OK;
}
