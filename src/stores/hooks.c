/* hooks.c: a store target's webhook registered with its store (hooks.h, docs/stores.md). */
#include "stores/hooks.h"

#include "core/clock.h"
#include "core/log.h"
#include "crypto/secret.h"
#include "integrations/catalog.h"
#include "integrations/integrations.h"
#include "integrations/webhooks.h"
#include "jobs/jobs.h"
#include "providers/registry.h"
#include "stores/stores.h"
#include "tenancy/audit.h"
#include "verify/verify.h"

static struct jobs *hook_jobs; /* the engine (store_webhooks_start): a rotation's registration, a deleted target's deletion */

static enum err_code rotated(struct store_conn *c, const char *tenant, const char *integration, struct err *err)
{
    char job[UUID_SIZE];
    int64_t n = 0;

    if (store_int(c,
                  "SELECT COUNT(*) FROM store_webhook_registrations WHERE tenantId = ? AND integrationId = ? AND status IN "
                  "('REGISTERING', 'REGISTERED')",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), &n, err))
        return err->code;
    return n ? store_webhook_ask(c, hook_jobs, NULL, tenant, integration, false, job, err) : ERR_OK;
}

/*
 * integrations_on_delete's hook: a target whose webhook the store may have (any registration not UNREGISTERED) gets a
 * job that deletes it there, with the target's credentials kept in the job's encrypted secrets ("target"), since the
 * target's row goes with this transaction; the registration's row goes too.
 */
static enum err_code deleting(struct store_conn *c, const struct keyring *keys, const struct category *cat, const char *tenant,
                              const char *integration, struct err *err)
{
    char known[256] = "", after[UUID_SIZE] = "", path[WEBHOOK_PATH_MAX] = "", job[UUID_SIZE], key[128];
    struct plaintext *secret = NULL;
    json_t *config = NULL, *scm = NULL, *payload, *secrets;
    const struct provider *p;
    struct store_stmt *st;
    int rc;

    if (cat->id != CAT_TARGETS ||
        store_select(c,
                     "SELECT storeWebhookId, status, jobId FROM store_webhook_registrations WHERE tenantId = ? AND "
                     "integrationId = ? AND status <> 'UNREGISTERED'",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(known, sizeof known, "%s", store_col_text(st, 0) ? store_col_text(st, 0) : "");
        if (strcmp(store_col_text(st, 1), "REGISTERING") == 0 && store_col_text(st, 2))
            snprintf(after, sizeof after, "%s", store_col_text(st, 2)); /* a registration under way: deleted after it */
    }
    store_finish(st);
    if (rc <= 0)
        return err->code; /* never registered, or unregistered already */
    if (webhooks_secret(c, tenant, integration, path, &secret, err) == ERR_NOT_FOUND)
        err_clear(err); /* no webhook of its own any more: only the id slipway kept can find Apple's */
    plaintext_free(secret);
    if (err->code || verify_load(c, keys, category_get(CAT_TARGETS), tenant, integration, NULL, &config, &scm, err)) {
        if (err->code == ERR_NOT_FOUND)
            err_clear(err); /* no such target: the delete answers 404 */
        return err->code;
    }
    p = provider_by_type(json_string_value(json_object_get(config, "type")));
    if (p && p->ops->store_webhook && (known[0] || path[0])) {
        snprintf(key, sizeof key, "store-webhook-delete:%s", integration); /* a target is deleted once */
        payload = json_pack("{s:s, s:s, s:s, s:s, s:s}", "integrationId", integration, "action", "delete", "webhookId", known,
                            "path", path, "after", after);
        secrets = json_pack("{s:O}", "target", config);
        jobs_enqueue_in(c, hook_jobs,
                        &(struct job_new){.kind = STORE_WEBHOOK_JOB,
                                          .tenant = tenant,
                                          .payload = payload,
                                          .secrets = secrets,
                                          .dedupe_key = key,
                                          .max_attempts = STORE_MAX_ATTEMPTS},
                        job, err);
        json_decref(payload);
        secret_wipe_json(secrets);
        json_decref(secrets);
    }
    secret_wipe_json(config);
    secret_wipe_json(scm);
    json_decref(config);
    json_decref(scm);
    if (!err->code)
        store_run(c, "DELETE FROM store_webhook_registrations WHERE tenantId = ? AND integrationId = ?",
                  STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), NULL, err);
    return err->code;
}

void store_webhooks_start(struct jobs *jobs)
{
    hook_jobs = jobs;
    webhooks_on_rotate(rotated);
    integrations_on_delete(deleting);
}

/* SLIPWAY_PUBLIC_URL (without its trailing slashes) followed by the webhook's path; "" without either. */
static void hook_url(const struct stores_env *env, const char *path, char url[PROVIDER_URL_MAX])
{
    size_t n = strlen(env->public_url);

    while (n && env->public_url[n - 1] == '/')
        n--;
    if (n && path[0])
        snprintf(url, PROVIDER_URL_MAX, "%.*s%s", (int)n, env->public_url, path);
    else
        url[0] = '\0';
}

enum err_code store_webhook_ask(struct store_conn *c, struct jobs *jobs, const struct request *req, const char *tenant,
                                const char *integration, bool unregister, char job[UUID_SIZE], struct err *err)
{
    const char *action = unregister ? "unregister" : "register", *status = unregister ? "UNREGISTERING" : "REGISTERING";
    char now[TIMESTAMP_SIZE], key[128];
    json_t *payload;
    int64_t changed = 0;

    clock_now(now);
    snprintf(key, sizeof key, "store-webhook:%s:%s", integration, now); /* one job a request (two in one ms: the first's) */
    payload = json_pack("{s:s, s:s}", "integrationId", integration, "action", action);
    jobs_enqueue_in(
        c, jobs,
        &(struct job_new){
            .kind = STORE_WEBHOOK_JOB, .tenant = tenant, .payload = payload, .dedupe_key = key, .max_attempts = STORE_MAX_ATTEMPTS},
        job, err);
    json_decref(payload);
    if (err->code ||
        store_run(
            c,
            "UPDATE store_webhook_registrations SET status = ?, jobId = ?, requestedAt = ?, lastError = NULL WHERE tenantId = ? "
            "AND integrationId = ?",
            STORE_ARGS(STORE_TEXT(status), STORE_TEXT(job), STORE_TIME(now), STORE_TEXT(tenant), STORE_TEXT(integration)), &changed,
            err))
        return err->code;
    if (!changed &&
        store_run(c,
                  "INSERT INTO store_webhook_registrations (integrationId, tenantId, status, jobId, requestedAt) "
                  "VALUES (?, ?, ?, ?, ?)",
                  STORE_ARGS(STORE_TEXT(integration), STORE_TEXT(tenant), STORE_TEXT(status), STORE_TEXT(job), STORE_TIME(now)),
                  NULL, err))
        return err->code;
    if (!req)
        return ERR_OK;
    char audit[48];
    snprintf(audit, sizeof audit, "integration.webhook.%s", action);
    return audit_write(
        c, req, &(struct audit_event){.tenant_id = tenant, .action = audit, .target_type = "integration", .target_id = integration},
        err);
}

enum err_code store_webhook_describe(struct store_conn *c, const char *tenant, const char *integration, json_t **out,
                                     struct err *err)
{
    static const char *const names[] = {"status", "appleWebhookId", "jobId", "requestedAt", "registeredAt", "lastError"};
    struct store_stmt *st;
    int rc;

    *out = json_pack("{s:s}", "integrationId", integration);
    if (store_select(c,
                     "SELECT status, storeWebhookId, jobId, requestedAt, registeredAt, lastError FROM store_webhook_registrations "
                     "WHERE tenantId = ? AND integrationId = ?",
                     STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(integration)), &st, err))
        return err->code;
    rc = store_next(st, err);
    for (int i = 0; i < (int)ARRAY_LEN(names); i++) {
        const char *v = rc == 1 ? store_col_text(st, i) : NULL;
        json_object_set_new(*out, names[i], v ? json_string(v) : json_null());
    }
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

/* The job's outcome on the row, unless a later request superseded the job. */
static enum err_code hook_record(const struct stores_env *env, const struct job *j, const char *integration, bool unregister,
                                 const char *webhook_id, const char *error, struct err *err)
{
    struct store_conn *db = NULL;
    char now[TIMESTAMP_SIZE];

    clock_now(now);
    if (store_conn_get(env->store, &db, err) == ERR_OK) {
        if (error)
            store_run(db,
                      "UPDATE store_webhook_registrations SET status = 'FAILED', lastError = ? WHERE tenantId = ? AND "
                      "integrationId = ? AND jobId = ?",
                      STORE_ARGS(STORE_TEXT(error), STORE_TEXT(j->tenant), STORE_TEXT(integration), STORE_TEXT(j->id)), NULL, err);
        else
            store_run(db,
                      "UPDATE store_webhook_registrations SET status = ?, storeWebhookId = ?, registeredAt = ?, lastError = NULL "
                      "WHERE tenantId = ? AND integrationId = ? AND jobId = ?",
                      STORE_ARGS(STORE_TEXT(unregister ? "UNREGISTERED" : "REGISTERED"),
                                 unregister || !webhook_id ? STORE_NULL : STORE_TEXT(webhook_id),
                                 unregister ? STORE_NULL : STORE_TIME(now), STORE_TEXT(j->tenant), STORE_TEXT(integration),
                                 STORE_TEXT(j->id)),
                      NULL, err);
    }
    store_conn_put(db);
    return err->code;
}

/*
 * Starts the target's store_webhook op (j parks). *current false: a later request superseded this job (nothing to do).
 * ERR_CONFLICT when it cannot be done (no public URL, no webhook, a store that cannot); ERR_NOT_FOUND when the target is gone.
 */
static enum err_code hook_start(const struct stores_env *env, struct job *j, const char *integration, bool unregister,
                                bool *current, struct err *err)
{
    char path[WEBHOOK_PATH_MAX] = "", url[PROVIDER_URL_MAX];
    struct plaintext *secret = NULL;
    struct store_conn *db = NULL;
    json_t *config = NULL, *scm = NULL, *input;
    const struct provider *p;
    struct store_stmt *st;
    char known[256] = "";
    int rc = -1;

    *current = false;
    if (!unregister && !env->public_url[0])
        return err_set(err, ERR_CONFLICT, "SLIPWAY_PUBLIC_URL is not set: slipway cannot tell the store where it is");
    if (store_conn_get(env->store, &db, err) == ERR_OK &&
        store_select(db, "SELECT jobId, storeWebhookId FROM store_webhook_registrations WHERE tenantId = ? AND integrationId = ?",
                     STORE_ARGS(STORE_TEXT(j->tenant), STORE_TEXT(integration)), &st, err) == ERR_OK) {
        if ((rc = store_next(st, err)) == 1) {
            *current = store_col_text(st, 0) && strcmp(store_col_text(st, 0), j->id) == 0;
            snprintf(known, sizeof known, "%s", store_col_text(st, 1) ? store_col_text(st, 1) : "");
        }
        store_finish(st);
    }
    if (rc == 1 && *current && webhooks_secret(db, j->tenant, integration, path, &secret, err) == ERR_NOT_FOUND) {
        err_clear(err);
        if (!unregister)
            err_set(err, ERR_CONFLICT, "the target has no webhook: make one first");
    }
    if (!err->code && *current)
        verify_load(db, env->keys, category_get(CAT_TARGETS), j->tenant, integration, NULL, &config, &scm, err);
    store_conn_put(db);
    p = config ? provider_by_type(json_string_value(json_object_get(config, "type"))) : NULL;
    if (!err->code && *current && (!p || !p->ops->store_webhook))
        err_set(err, ERR_CONFLICT, "%s cannot register its webhook", p ? p->display : "this target");
    if (err->code || !*current) {
        plaintext_free(secret);
        secret_wipe_json(config);
        secret_wipe_json(scm);
        json_decref(config);
        json_decref(scm);
        return err->code;
    }
    if (secret)
        json_object_set_new(config, "webhookSecret", json_string(secret->data));
    plaintext_free(secret);
    hook_url(env, path, url);
    input = json_pack("{s:s, s:s, s:b}", "url", url, "webhookId", known, "delete", unregister);
    provider_call_in_job(provider_call_new(env->loop, p, p->ops->store_webhook, config, scm, input, NULL, NULL), j);
    return ERR_OK;
}

/*
 * The deleted target's webhook deleted at its store, with the credentials the job was made with: by the id slipway
 * kept (DELETE; a 404 is done), else found by its URL. The store not answering is tried again (the engine's backoff);
 * a refusal ends the job with the store's reason in its output (the target is gone: there is no row to say it on).
 */
static void forget_step(const struct stores_env *env, struct job *j, struct provider_call *call)
{
    const char *integration = json_string_value(json_object_get(j->payload, "integrationId"));
    const char *after = json_string_value(json_object_get(j->payload, "after"));
    json_t *config = json_object_get(j->secrets, "target");
    const struct provider *p = provider_by_type(json_string_value(json_object_get(config, "type")));
    char url[PROVIDER_URL_MAX], key[JOB_EVENT_KEY_SIZE];
    struct store_conn *db = NULL;
    struct err err;
    int64_t running = 0;

    err_clear(&err);
    if (!call && after && after[0]) { /* the registration under way when the target went: its POST may still come */
        if (store_conn_get(env->store, &db, &err) == ERR_OK)
            store_int(db, "SELECT COUNT(*) FROM jobs WHERE id = ? AND state NOT IN ('DONE', 'FAILED', 'CANCELLED')",
                      STORE_ARGS(STORE_TEXT(after)), &running, &err);
        store_conn_put(db);
        if (err.code) {
            job_fail(j, &err);
            return;
        }
        if (running) { /* looked at again each SLIPWAY_STORE_POLL_MS: a durable wait, no thread */
            snprintf(key, sizeof key, "store-webhook-after:%s", after);
            job_wait(j, 0, key, clock_now_ms() + env->poll_ms);
            return;
        }
    }
    if (!call && (!p || !p->ops->store_webhook)) {
        err_set(&err, ERR_INTERNAL, "the deleted target's webhook: the job keeps no credentials of a store that can delete it");
        job_fail(j, &err);
        return;
    }
    if (!call) {
        hook_url(env, json_string_value(json_object_get(j->payload, "path")), url);
        provider_call_in_job(provider_call_new(env->loop, p, p->ops->store_webhook, json_deep_copy(config), NULL,
                                               json_pack("{s:s, s:O, s:b}", "url", url, "webhookId",
                                                         json_object_get(j->payload, "webhookId"), "delete", 1),
                                               NULL, NULL),
                             j);
        return;
    }
    if (call->verdict == VERDICT_NONE && j->attempt < STORE_MAX_ATTEMPTS) {
        err_set(&err, ERR_UNAVAILABLE, "the deleted target's webhook: %s", call->message);
        job_fail(j, &err);
        return;
    }
    if (call->verdict != VERDICT_VALID)
        log_info("store webhook of deleted integration %s of tenant %s: not deleted: %s", integration, j->tenant, call->message);
    j->output = json_pack("{s:b, s:s}", "deleted", call->verdict == VERDICT_VALID, "message", call->message);
    job_done(j);
}

void stores_webhook_step(void *ctx, struct job *j)
{
    const struct stores_env *env = ctx;
    const char *integration = json_string_value(json_object_get(j->payload, "integrationId"));
    const char *action = json_string_value(json_object_get(j->payload, "action"));
    struct provider_call *call = provider_call_of(j);
    bool unregister = action && strcmp(action, "unregister") == 0, current = true;
    const char *error = NULL;
    struct err err;

    err_clear(&err);
    if (!integration || !action || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not a webhook registration: the payload names no integration and action");
        job_fail(j, &err);
        return;
    }
    if (strcmp(action, "delete") == 0) {
        forget_step(env, j, call);
        return;
    }
    if (!call) {
        if (hook_start(env, j, integration, unregister, &current, &err) == ERR_OK) {
            if (!current)
                job_done(j); /* superseded by a later request of the target: its job answers */
            return;
        }
        if (err.code != ERR_CONFLICT && err.code != ERR_NOT_FOUND) { /* not found: the target was deleted */
            job_fail(j, &err);
            return;
        }
        error = err.message;
    } else if (call->verdict == VERDICT_NONE && j->attempt < STORE_MAX_ATTEMPTS) {
        err_set(&err, ERR_UNAVAILABLE, "webhook %s: %s", action, call->message);
        job_fail(j, &err); /* the store did not answer: tried again with the engine's backoff */
        return;
    } else if (call->verdict != VERDICT_VALID) {
        error = call->message;
    }
    struct err e2;
    err_clear(&e2);
    if (hook_record(env, j, integration, unregister, call ? json_string_value(json_object_get(call->output, "webhookId")) : NULL,
                    error, &e2)) {
        job_fail(j, &e2);
        return;
    }
    if (error)
        log_info("store webhook of integration %s of tenant %s: %s refused: %s", integration, j->tenant, action, error);
    job_done(j);
}
