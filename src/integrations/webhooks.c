#include "integrations/webhooks.h"

#include <pthread.h>

#include "core/clock.h"
#include "core/encode.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"
#include "jobs/jobs.h"
#include "providers/inbound.h"
#include "providers/registry.h"
#include "tenancy/audit.h"
#include "tenancy/roles.h"

#define HOOK_ID_BYTES 24 /* 192 bits: the URL cannot be guessed */
#define SECRET_BYTES 32
#define HOOK_PATH "/hooks/v1/"
/* One answer for an unknown hook and a bad signature: a caller learns nothing of which hook ids exist. */
#define REFUSED PROVIDER_WEBHOOK_REFUSED

#define KEYS_KEPT 64 /* integrations whose webhook stays set up for admission (kept_hook); a power of two */

static const struct keyring *keys;
static webhooks_rotated_fn rotated;
static webhooks_build_fn on_build;

/*
 * What admission needs of an integration's webhook, set up at the first
 * delivery and kept with the stored (encrypted) secret it was made from:
 * the integration's provider, the secret and its HMAC key. A rotated
 * secret, or one encrypted again under a new key, is another stored text,
 * so nothing made from the old one is used again. The provider is kept
 * for good: an integration's type never changes (the category's UPDATE
 * does not name its column), and a hook row lives only as long as its
 * integration (both deleted in one transaction, integrations_http.c).
 */
static struct kept_hook {
    char integration_id[UUID_SIZE];
    char *stored;
    const struct provider *provider;
    struct plaintext *secret;
    struct hmac_key *key;
} kept[KEYS_KEPT];
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;

void webhooks_start(const struct keyring *k)
{
    keys = k;
}

void webhooks_on_rotate(webhooks_rotated_fn fn)
{
    rotated = fn;
}

void webhooks_on_build(webhooks_build_fn fn)
{
    on_build = fn;
}

static struct secret_place place(const char *tenant_id, const char *integration_id)
{
    return (struct secret_place){tenant_id, "integration_webhooks", "secret", integration_id};
}

static size_t kept_slot(const char *integration_id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *c = integration_id; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return h & (KEYS_KEPT - 1);
}

/* What is kept of stored (the hook's secret as saved): copies, the caller's to free. False when nothing is kept. */
static bool kept_get(const char *integration_id, const char *stored, const struct provider **p, struct plaintext **secret,
                     struct hmac_key **mac)
{
    struct kept_hook *k = &kept[kept_slot(integration_id)];
    bool hit;

    pthread_mutex_lock(&kept_lock);
    hit = k->stored && strcmp(k->stored, stored) == 0 && strcmp(k->integration_id, integration_id) == 0;
    if (hit) {
        *p = k->provider;
        *secret = plaintext_copy(k->secret);
        *mac = hmac_key_copy(k->key);
    }
    pthread_mutex_unlock(&kept_lock);
    return hit;
}

/* Keeps p and secret (stored's plaintext) in the integration's slot, in place of what was there; *mac: a copy of the key. */
static void kept_put(const char *integration_id, const char *stored, const struct provider *p, const struct plaintext *secret,
                     struct hmac_key **mac)
{
    struct kept_hook *k = &kept[kept_slot(integration_id)];

    pthread_mutex_lock(&kept_lock);
    hmac_key_free(k->key);
    plaintext_free(k->secret);
    free(k->stored);
    snprintf(k->integration_id, sizeof k->integration_id, "%s", integration_id);
    k->stored = xstrdup(stored);
    k->provider = p;
    k->secret = plaintext_copy(secret);
    k->key = hmac_key_new(secret->data, secret->len);
    *mac = hmac_key_copy(k->key);
    pthread_mutex_unlock(&kept_lock);
}

/* *p: the provider of the hook's integration (the category's type column: one indexed read, no row built; NULL for none known). */
static enum err_code hook_provider(struct request *req, const struct category *cat, const struct principal *who,
                                   const struct provider **p, struct err *err)
{
    struct store_conn *db;
    struct store_stmt *st;
    int rc;

    *p = NULL;
    if (request_db(req, &db, err) ||
        store_select(db, cat->sql_status, STORE_ARGS(STORE_TEXT(who->tenant_id), STORE_TEXT(who->integration_id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1)
        *p = provider_by_type(store_col_text(st, 1));
    store_finish(st);
    return rc == 0 ? err_set(err, ERR_NOT_FOUND, "not found") : err->code;
}

enum err_code webhooks_admit(struct request *req, struct err *err)
{
    const char *hook = request_param(req, "hookId");
    struct principal *who = principal_new(req);
    struct plaintext *secret = NULL;
    struct hmac_key *mac = NULL;
    const struct provider *p = NULL;
    struct store_row row;
    const struct category *cat;
    const char *stored;
    int rc;

    rc = store_lookup(req->store, "SELECT tenantId, integrationId, category, secret FROM integration_webhooks WHERE hookId = ?",
                      STORE_ARGS(STORE_TEXT(hook)), 4, &row, err);
    if (rc <= 0)
        return rc < 0 ? err->code : err_set(err, ERR_UNAUTHENTICATED, REFUSED);
    snprintf(who->tenant_id, sizeof who->tenant_id, "%s", store_row_text(&row, 0));
    snprintf(who->integration_id, sizeof who->integration_id, "%s", store_row_text(&row, 1));
    stored = store_row_text(&row, 3);
    if (!kept_get(who->integration_id, stored, &p, &secret, &mac)) {
        if (!(cat = category_by_slug(store_row_text(&row, 2))))
            return err_set(err, ERR_UNAUTHENTICATED, REFUSED);
        if (hook_provider(req, cat, who, &p, err))
            return err->code;
        if (!p || !p->ops->webhook_check)
            return err_set(err, ERR_UNAUTHENTICATED, REFUSED);
        struct secret_place at = place(who->tenant_id, who->integration_id);
        if (secret_decrypt(keys, &at, stored, &secret, err)) {
            log_error("webhook %s: its secret cannot be read: %s", who->integration_id, err->message);
            return err_set(err, ERR_INTERNAL, "the webhook's secret cannot be read");
        }
        kept_put(who->integration_id, stored, p, secret, &mac);
    }
    struct provider_inbound in = {inbound_request_header, req, req->raw.data,          req->raw.len, secret->data,
                                  clock_now_ms() / 1000,  mac, who->integration_digest};
    bool ok = p->ops->webhook_check(&in);
    hmac_key_free(mac);
    plaintext_free(secret);
    if (!ok)
        return err_set(err, ERR_UNAUTHENTICATED, REFUSED);
    snprintf(who->integration_type, sizeof who->integration_type, "%s", p->type);
    return ERR_OK;
}

/* ev's optional text members, in the answer's order ("" is null). */
static const char *const event_names[] = {"runId", "status", "conclusion", "ref", "sha", "url"};

static void event_values(const struct provider_event *ev, const char *out[ARRAY_LEN(event_names)])
{
    const char *const values[] = {ev->run_id, ev->status, ev->conclusion, ev->ref, ev->sha, ev->url};
    for (size_t i = 0; i < ARRAY_LEN(event_names); i++)
        out[i] = values[i][0] ? values[i] : NULL;
}

void webhooks_event_write(struct jsonw *w, const struct provider_event *ev)
{
    const char *values[ARRAY_LEN(event_names)];

    event_values(ev, values);
    jsonw_key(w, "deliveryId");
    jsonw_string(w, ev->delivery);
    jsonw_key(w, "event");
    jsonw_string(w, provider_event_kind_name(ev->kind));
    for (size_t i = 0; i < ARRAY_LEN(event_names); i++) {
        jsonw_key(w, event_names[i]);
        jsonw_text_or_null(w, values[i]);
    }
}

json_t *webhooks_event_json(const struct provider_event *ev)
{
    const char *values[ARRAY_LEN(event_names)];
    json_t *out = json_pack("{s:s, s:s}", "deliveryId", ev->delivery, "event", provider_event_kind_name(ev->kind));

    event_values(ev, values);
    for (size_t i = 0; i < ARRAY_LEN(event_names); i++)
        json_object_set_new(out, event_names[i], values[i] ? json_string(values[i]) : json_null());
    return out;
}

static struct store_val text_arg(const char *s)
{
    return s[0] ? STORE_TEXT(s) : STORE_NULL;
}

_Static_assert(sizeof((struct principal *)0)->integration_digest == PROVIDER_DIGEST_SIZE, "a signature's digest fits");

/* The look-up of each key: the provider's id is unique per integration; a digest is indexed where there is one. */
static const char *const find_sql[] = {
    [WEBHOOK_BY_ID] = "SELECT deliveryId, event, runId, status, conclusion, ref, sha, url FROM webhook_deliveries "
                      "WHERE tenantId = ? AND integrationId = ? AND deliveryId = ?",
    [WEBHOOK_BY_DIGEST] = "SELECT deliveryId, event, runId, status, conclusion, ref, sha, url FROM webhook_deliveries "
                          "WHERE tenantId = ? AND integrationId = ? AND bodyDigest = ?",
};

/* The event a row of find_sql holds, as webhooks_record wrote it. */
static void event_from_row(struct store_stmt *st, struct provider_event *ev)
{
    char *const texts[] = {ev->delivery, NULL, ev->run_id, ev->status, ev->conclusion, ev->ref, ev->sha, ev->url};
    const size_t sizes[] = {
        sizeof ev->delivery, 0, sizeof ev->run_id, sizeof ev->status, sizeof ev->conclusion, sizeof ev->ref, sizeof ev->sha,
        sizeof ev->url};

    memset(ev, 0, sizeof *ev);
    ev->kind = provider_event_kind_by_name(store_col_text(st, 1));
    for (int i = 0; i < (int)ARRAY_LEN(texts); i++)
        if (texts[i] && !store_col_null(st, i))
            snprintf(texts[i], sizes[i], "%s", store_col_text(st, i));
}

enum err_code webhooks_find(struct store_conn *c, const char *tenant_id, const char *integration_id, enum webhook_key by,
                            const char *key, struct provider_event *ev, bool *found, struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c, find_sql[by], STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(integration_id), STORE_TEXT(key)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1 && ev)
        event_from_row(st, ev);
    store_finish(st);
    *found = rc == 1;
    return err->code;
}

enum err_code webhooks_record(struct store_conn *c, const char *tenant_id, const char *integration_id,
                              const struct provider_event *ev, const char *digest, bool *duplicate, struct err *err)
{
    char id[UUID_SIZE], now[TIMESTAMP_SIZE];

    if (webhooks_find(c, tenant_id, integration_id, WEBHOOK_BY_ID, ev->delivery, NULL, duplicate, err) || *duplicate)
        return err->code;
    rand_uuid(id);
    clock_now(now);
    if (store_run(
            c,
            "INSERT INTO webhook_deliveries (id, tenantId, integrationId, deliveryId, event, runId, status, conclusion, ref, sha, "
            "url, receivedAt, bodyDigest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant_id), STORE_TEXT(integration_id), STORE_TEXT(ev->delivery),
                       STORE_TEXT(provider_event_kind_name(ev->kind)), text_arg(ev->run_id), text_arg(ev->status),
                       text_arg(ev->conclusion), text_arg(ev->ref), text_arg(ev->sha), text_arg(ev->url), STORE_TIME(now),
                       text_arg(digest)),
            NULL, err))
        return err->code;
    bool applied = false;
    if (ev->kind == EVENT_BUILD && ev->run_id[0] && on_build && on_build(c, tenant_id, integration_id, ev, &applied, err))
        return err->code;
    if ((ev->kind == EVENT_BUILD && ev->run_id[0] && !applied) || ev->kind == EVENT_STORE) {
        char key[512];
        json_t *event = webhooks_event_json(ev);
        if (ev->kind == EVENT_BUILD)
            snprintf(key, sizeof key, "build:%s:%s", integration_id, ev->run_id);
        else
            snprintf(key, sizeof key, "store:%s", integration_id); /* every submission of the target waiting on its store looks */
        jobs_signal_in(c, key, event, err);
        json_decref(event);
    }
    return err->code;
}

static json_t *describe(const char *integration_id, const char *hook, const char *created_at, const char *rotated_at)
{
    char path[sizeof HOOK_PATH + 64];

    snprintf(path, sizeof path, HOOK_PATH "%s", hook);
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "integrationId", integration_id, "hookId", hook, "path", path, "createdAt",
                     created_at, "rotatedAt", rotated_at);
}

enum err_code webhooks_issue(struct store_conn *c, const struct request *req, const struct integration_row *r, json_t **out,
                             bool *created, struct err *err)
{
    unsigned char raw[SECRET_BYTES];
    char secret[B64URL_LEN(SECRET_BYTES) + 1], hook[B64URL_LEN(HOOK_ID_BYTES) + 1], now[TIMESTAMP_SIZE],
        created_at[TIMESTAMP_SIZE] = "";
    struct secret_place at = place(r->tenant_id, r->id);
    struct store_stmt *st;
    char *stored = NULL;
    int rc;

    *out = NULL;
    if (store_select(c, "SELECT hookId, createdAt FROM integration_webhooks WHERE tenantId = ? AND integrationId = ?",
                     STORE_ARGS(STORE_TEXT(r->tenant_id), STORE_TEXT(r->id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(hook, sizeof hook, "%s", store_col_text(st, 0));
        snprintf(created_at, sizeof created_at, "%s", store_col_text(st, 1));
    }
    store_finish(st);
    if (rc < 0)
        return err->code;
    *created = rc == 0;
    if (*created) {
        rand_bytes(raw, HOOK_ID_BYTES);
        b64url_encode(raw, HOOK_ID_BYTES, hook);
    }
    rand_bytes(raw, sizeof raw);
    b64url_encode(raw, sizeof raw, secret);
    hash_cleanse(raw, sizeof raw);
    clock_now(now);
    if (secret_encrypt(keys, &at, secret, strlen(secret), &stored, err))
        goto out;
    rc = *created
             ? store_run(
                   c,
                   "INSERT INTO integration_webhooks (integrationId, tenantId, category, hookId, secret, createdAt, rotatedAt) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   STORE_ARGS(STORE_TEXT(r->id), STORE_TEXT(r->tenant_id), STORE_TEXT(r->cat->slug), STORE_TEXT(hook),
                              STORE_TEXT(stored), STORE_TIME(now), STORE_TIME(now)),
                   NULL, err)
             : store_run(c, "UPDATE integration_webhooks SET secret = ?, rotatedAt = ? WHERE tenantId = ? AND integrationId = ?",
                         STORE_ARGS(STORE_TEXT(stored), STORE_TIME(now), STORE_TEXT(r->tenant_id), STORE_TEXT(r->id)), NULL, err);
    if (rc)
        goto out;
    json_t *details = json_pack("{s:s, s:s}", "category", r->cat->slug, "type", r->prov->type);
    audit_write(c, req,
                &(struct audit_event){.tenant_id = r->tenant_id,
                                      .action = *created ? "integration.webhook.create" : "integration.webhook.rotate",
                                      .target_type = "integration",
                                      .target_id = r->id,
                                      .details = details},
                err);
    json_decref(details);
    if (err->code || (!*created && rotated && rotated(c, r->tenant_id, r->id, err)))
        goto out;
    *out = describe(r->id, hook, *created ? now : created_at, now);
    json_object_set_new(*out, "secret", json_string(secret));
out:
    hash_cleanse(secret, sizeof secret);
    free(stored);
    return err->code;
}

enum err_code webhooks_describe(struct store_conn *c, const char *tenant_id, const char *integration_id, json_t **out,
                                struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c, "SELECT hookId, createdAt, rotatedAt FROM integration_webhooks WHERE tenantId = ? AND integrationId = ?",
                     STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(integration_id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        *out = describe(integration_id, store_col_text(st, 0), store_col_text(st, 1), store_col_text(st, 2));
    else if (rc == 0)
        *out = json_pack("{s:s, s:n, s:n, s:n, s:n}", "integrationId", integration_id, "hookId", "path", "createdAt", "rotatedAt");
    store_finish(st);
    if (rc == 1)
        json_object_set_new(*out, "hasSecret", json_true());
    else if (rc == 0)
        json_object_set_new(*out, "hasSecret", json_false());
    return rc < 0 ? err->code : ERR_OK;
}

enum err_code webhooks_secret(struct store_conn *c, const char *tenant_id, const char *integration_id, char path[WEBHOOK_PATH_MAX],
                              struct plaintext **secret, struct err *err)
{
    struct secret_place at = place(tenant_id, integration_id);
    struct store_stmt *st;
    int rc;

    *secret = NULL;
    if (store_select(c, "SELECT hookId, secret FROM integration_webhooks WHERE tenantId = ? AND integrationId = ?",
                     STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(integration_id)), &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1) {
        snprintf(path, WEBHOOK_PATH_MAX, HOOK_PATH "%s", store_col_text(st, 0));
        if (secret_decrypt(keys, &at, store_col_text(st, 1), secret, err)) {
            log_error("webhook %s: its secret cannot be read: %s", integration_id, err->message);
            err_clear(err);
            err_set(err, ERR_INTERNAL, "the webhook's secret cannot be read");
        }
    }
    store_finish(st);
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "the integration has no webhook");
    return err->code;
}

enum err_code webhooks_forget(struct store_conn *c, const char *tenant_id, const char *integration_id, struct err *err)
{
    return store_run(c, "DELETE FROM integration_webhooks WHERE tenantId = ? AND integrationId = ?",
                     STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(integration_id)), NULL, err);
}

void webhooks_prune_step(void *ctx, struct job *j)
{
    const struct webhooks_prune_env *env = ctx;
    struct store_conn *db = NULL;
    char before[TIMESTAMP_SIZE];
    int64_t gone = 0;
    struct err err;

    err_clear(&err);
    clock_format(clock_now_ms() - (int64_t)env->retention_s * 1000, before);
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        store_run(db, "DELETE FROM webhook_deliveries WHERE receivedAt < ?", STORE_ARGS(STORE_TIME(before)), &gone, &err);
    store_conn_put(db);
    if (err.code) {
        job_fail(j, &err);
        return;
    }
    if (gone > 0)
        log_info("webhooks: pruned %lld deliveries received before %s", (long long)gone, before);
    job_done(j);
}
