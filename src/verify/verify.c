#include "verify/verify.h"

#include <stdarg.h>

#include "core/log.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"
#include "integrations/catalog.h"
#include "core/clock.h"
#include "integrations/integrations.h"
#include "tenancy/audit.h"
#include "tenancy/tenants.h"

static const char *const verdicts[] = {
    [VERDICT_NONE] = NULL, [VERDICT_VALID] = "VALID", [VERDICT_INVALID] = "INVALID", [VERDICT_EXPIRED] = "EXPIRED"};

const char *verdict_name(enum verdict v)
{
    return verdicts[v];
}

/* Rows: from NOT_VERIFIED, VALID, INVALID, EXPIRED; columns: verdict VALID, INVALID, EXPIRED. */
const char *verify_transition(const char *from, enum verdict verdict)
{
    static const char *const states[] = {"NOT_VERIFIED", "VALID", "INVALID", "EXPIRED"};
    static const char *const table[4][3] = {
        {"VALID", "INVALID", "INVALID"},
        {"VALID", "INVALID", "EXPIRED"},
        {"VALID", "INVALID", "INVALID"},
        {"VALID", "EXPIRED", "EXPIRED"},
    };
    for (int i = 0; i < 4; i++)
        if (strcmp(from, states[i]) == 0)
            return verdict == VERDICT_NONE ? states[i] : table[i][verdict - VERDICT_VALID];
    return verdict == VERDICT_NONE ? from : verdicts[verdict];
}

enum err_code verify_env_start(struct verify_env *env, const struct config *cfg, struct err *err)
{
    struct outbound_options o = {.ca_bundle = cfg->ca_bundle, .allow = cfg->outbound_allow, .max_response = 4u << 20};

    *env = (struct verify_env){
        .timeout_ms = cfg->outbound_timeout,
        .appstore_timeout_ms = cfg->appstore_timeout,
        .google_timeout_ms = cfg->playstore_timeout,
        .github_hourly = cfg->github_rate_limit,
        .github_api = cfg->github_api,
        .gitlab = cfg->gitlab_url,
        .bitbucket_api = cfg->bitbucket_api,
        .appstore_api = cfg->appstore_api,
        .google_token = cfg->google_token_url,
        .play_api = cfg->play_api,
        .firebase_api = cfg->firebase_api,
        .slack_api = cfg->slack_api,
        .circleci_api = cfg->circleci_api,
        .linear_api = cfg->linear_api,
        .slack_hooks = cfg->slack_webhook_hosts,
        .teams_hooks = cfg->teams_webhook_hosts,
    };
    env->out = outbound_start(&o, err);
    return env->out ? ERR_OK : err->code;
}

const char *verify_text(const struct verification *v, const char *field)
{
    const char *s = json_string_value(json_object_get(v->config, field));
    return s ? s : "";
}

void verify_start(const struct verify_env *env, const struct provider *p, const char *id, json_t *config, json_t *scm,
                  bool send_test, void (*done)(struct verification *v, void *ctx), void *ctx)
{
    struct verification *v = xcalloc(1, sizeof *v);
    v->env = env;
    v->prov = p;
    snprintf(v->id, sizeof v->id, "%s", id ? id : "");
    v->config = config;
    v->scm = scm;
    v->details = json_object();
    v->send_test = send_test;
    v->done = done;
    v->ctx = ctx;
    p->verify(v, NULL);
}

void verify_free(struct verification *v)
{
    if (!v)
        return;
    integration_wipe(v->config);
    integration_wipe(v->scm);
    json_decref(v->config);
    json_decref(v->scm);
    json_decref(v->details);
    hash_cleanse(v->token, sizeof v->token);
    hash_cleanse(v->note, sizeof v->note);
    free(v);
}

void verify_finish(struct verification *v, enum verdict verdict, const char *fmt, ...)
{
    va_list ap;
    v->verdict = verdict;
    va_start(ap, fmt);
    vsnprintf(v->message, sizeof v->message, fmt, ap);
    va_end(ap);
    v->done(v, v->ctx);
}

static void on_answer(const struct outbound_response *res, void *ctx)
{
    struct verification *v = ctx;
    v->prov->verify(v, res);
}

static long timeout_for(const struct verification *v)
{
    const char *t = v->prov->type;
    if (strcmp(t, "APP_STORE") == 0)
        return v->env->appstore_timeout_ms;
    if (strcmp(t, "PLAY_STORE") == 0 || strcmp(t, "FIREBASE") == 0)
        return v->env->google_timeout_ms;
    return v->env->timeout_ms;
}

void verify_request(struct verification *v, const char *method, const char *url, const char *const *headers, const char *body,
                    const char *userpwd)
{
    struct outbound_call call = {.method = method,
                                 .url = url,
                                 .headers = headers,
                                 .body = body,
                                 .body_len = body ? strlen(body) : 0,
                                 .userpwd = userpwd,
                                 .timeout_ms = timeout_for(v),
                                 .done = on_answer,
                                 .ctx = v};
    struct err err;

    err_clear(&err);
    if (outbound_submit(v->env->out, &call, &err))
        verify_finish(v, VERDICT_NONE, "%s", err.message);
}

void verify_smtp(struct verification *v, const char *target, const char *userpwd)
{
    const char *rcpt[101] = {NULL};
    json_t *list = json_object_get(v->config, "emailRecipients"), *r;
    char from[300], message[1024];
    size_t i;
    struct err err;

    snprintf(from, sizeof from, "<%s>", verify_text(v, "emailFromAddress"));
    json_array_foreach(list, i, r) if (i < 100) rcpt[i] = json_string_value(r);
    snprintf(message, sizeof message,
             "From: %s\r\nTo: %s\r\nSubject: slipway: test message\r\n\r\nslipway can send release notifications from "
             "this address.\r\n",
             verify_text(v, "emailFromAddress"), rcpt[0] ? rcpt[0] : "");
    struct outbound_call call = {.method = "SMTP",
                                 .url = target,
                                 .userpwd = userpwd,
                                 .timeout_ms = v->env->timeout_ms,
                                 .mail_from = v->send_test ? from : NULL,
                                 .mail_rcpt = v->send_test ? rcpt : NULL,
                                 .body = v->send_test ? message : NULL,
                                 .body_len = v->send_test ? strlen(message) : 0,
                                 .done = on_answer,
                                 .ctx = v};
    err_clear(&err);
    if (outbound_submit(v->env->out, &call, &err))
        verify_finish(v, VERDICT_NONE, "%s", err.message);
}

/* The first string of j at one of these places, or NULL: where providers put the text of an error. */
static const char *answer_text(json_t *j)
{
    static const char *const paths[][2] = {{"message", NULL},      {"error_description", NULL}, {"error", NULL},
                                           {"error", "message"},   {"errors", "detail"},        {"errors", "message"},
                                           {"errorMessages", NULL}};
    for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
        json_t *at = json_object_get(j, paths[i][0]);
        if (json_is_array(at))
            at = json_array_get(at, 0);
        if (paths[i][1])
            at = json_object_get(at, paths[i][1]);
        if (json_is_string(at) && json_string_length(at) > 0)
            return json_string_value(at);
    }
    return NULL;
}

/* Whether text holds a secret of the configuration or the token obtained on the way (4 characters or more). */
static bool holds_secret(const struct verification *v, const char *text)
{
    for (size_t i = 0; i < v->prov->schema.count; i++) {
        const char *s = json_string_value(json_object_get(v->config, v->prov->schema.fields[i].name));
        if (v->prov->schema.fields[i].secret && s && strlen(s) >= 4 && strstr(text, s))
            return true;
    }
    return strlen(v->token) >= 4 && strstr(text, v->token);
}

void verify_note_answer(struct verification *v, const struct outbound_response *res)
{
    json_t *j = json_loadb(res->body, res->len, 0, NULL);
    const char *said = answer_text(j);
    char cause[200], line[160] = "";
    size_t n;

    if (!said && res->len > 0 && res->len < sizeof line && !memchr(res->body, '<', res->len))
        said = res->body; /* a short answer in plain text (not an HTML error page) */
    if (said) {
        n = strcspn(said, "\r\n");
        utf8_copy(line, n < sizeof line ? n + 1 : sizeof line, said);
    }
    if (line[0] && !holds_secret(v, line))
        snprintf(cause, sizeof cause, "%s answered %ld: %s", v->prov->display, res->status, line);
    else
        snprintf(cause, sizeof cause, "%s answered %ld", v->prov->display, res->status);
    utf8_scrub(cause);
    json_object_set_new(v->details, "cause", json_string(cause));
    json_decref(j);
}

bool verify_unanswered(struct verification *v, const struct outbound_response *res)
{
    if (res->failure != OUTBOUND_OK) {
        json_object_set_new(v->details, "cause", json_string(res->cause));
        /* The integration by type and id, never its address: a webhook's URL is its secret. */
        log_warn("verify %s %s: %s", v->prov->type, v->id[0] ? v->id : "(a configuration, not stored)", res->error);
        switch (res->failure) {
        case OUTBOUND_TIMEOUT:
            verify_finish(v, VERDICT_NONE, "%s did not answer in time; the status is unchanged, try again later", v->prov->display);
            break;
        case OUTBOUND_BLOCKED:
            verify_finish(v, VERDICT_NONE,
                          "the %s address resolves to a private, loopback or link-local address, which slipway may not call "
                          "(an operator can allow it with SLIPWAY_OUTBOUND_ALLOW)",
                          v->prov->display);
            break;
        case OUTBOUND_TLS:
            verify_finish(v, VERDICT_NONE, "the TLS certificate of %s could not be verified", v->prov->display);
            break;
        default:
            verify_finish(v, VERDICT_NONE, "%s could not be reached; the status is unchanged, try again later", v->prov->display);
            break;
        }
        return true;
    }
    if (res->status >= 500 || res->status == 429) {
        verify_note_answer(v, res);
        verify_finish(v, VERDICT_NONE, "%s answered %ld (a problem on its side); the status is unchanged, try again later",
                      v->prov->display, res->status);
        return true;
    }
    return false;
}

json_t *verify_answer(const struct verification *v, const char *status)
{
    char now[TIMESTAMP_SIZE];
    const char *verdict = verdict_name(v->verdict);

    clock_now(now);
    return json_pack("{s:b, s:s, s:s, s:s, s:O, s:o}", "success", v->verdict == VERDICT_VALID, "status", status, "message",
                     v->message, "timestamp", now, "details", v->details, "verdict", verdict ? json_string(verdict) : json_null());
}

struct record_tx {
    const struct request *req;
    const struct category *cat;
    const char *tenant, *id;
    const struct verification *v;
    char *to;
};

static enum err_code record_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct record_tx *t = ctx;
    char from[16] = "", now[TIMESTAMP_SIZE];
    struct store_stmt *st;
    json_t *details;
    int rc;

    if (store_select(c, t->cat->sql_status, STORE_ARGS(STORE_TEXT(t->tenant), STORE_TEXT(t->id)), &st, err))
        return err->code;
    rc = store_next(st, err);
    if (rc == 1)
        snprintf(from, sizeof from, "%s", store_col_text(st, 0));
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (rc == 0)
        return err_set(err, ERR_NOT_FOUND, "the integration was deleted meanwhile");
    snprintf(t->to, 16, "%s", verify_transition(from, t->v->verdict));
    clock_now(now);
    if (t->v->verdict != VERDICT_NONE &&
        store_run(c, t->cat->sql_verdict,
                  STORE_ARGS(STORE_TEXT(t->to), STORE_TIME(now), STORE_TEXT(t->v->verdict == VERDICT_VALID ? NULL : t->v->message),
                             STORE_TEXT(t->tenant), STORE_TEXT(t->id)),
                  NULL, err))
        return err->code;
    details =
        json_pack("{s:s, s:s, s:o, s:s}", "from", from, "to", t->to, "verdict",
                  verdict_name(t->v->verdict) ? json_string(verdict_name(t->v->verdict)) : json_null(), "message", t->v->message);
    rc = audit_write(c, t->req,
                     &(struct audit_event){.tenant_id = t->tenant,
                                           .action = "integration.verify",
                                           .target_type = t->cat->slug,
                                           .target_id = t->id,
                                           .failed = t->v->verdict != VERDICT_VALID,
                                           .details = details},
                     err);
    json_decref(details);
    return rc;
}

enum err_code verify_record(struct store_conn *c, const struct request *req, const struct category *cat, const char *tenant_id,
                            const char *id, const struct verification *v, char to[16], struct err *err)
{
    struct record_tx t = {req, cat, tenant_id, id, v, to};
    return tenant_tx(c, tenant_id, record_body, &t, err);
}

/* One stored integration's configuration, decrypted; ERR_CONFLICT when a secret does not decrypt. */
static enum err_code load_config(struct store_conn *db, const struct keyring *keys, const struct category *cat, const char *tenant,
                                 const char *id, json_t **config, struct err *err)
{
    struct integration_row *row = NULL;

    *config = NULL;
    if (integration_load(db, keys, cat, tenant, id, true, &row, err))
        return err->code;
    if (json_array_size(row->unreadable) > 0) {
        integration_row_free(row);
        return err_set(err, ERR_CONFLICT, "a stored secret of this integration cannot be decrypted: save its credentials again");
    }
    *config = json_deep_copy(row->config);
    integration_row_free(row);
    return ERR_OK;
}

enum err_code verify_load_scm(struct store_conn *db, const struct keyring *keys, const char *tenant_id, json_t *config,
                              json_t **scm, struct err *err)
{
    const char *id = json_string_value(json_object_get(config, "scmIntegrationId"));
    struct err inner;

    *scm = NULL;
    err_clear(&inner);
    if (!id || load_config(db, keys, category_get(CAT_SCM), tenant_id, id, scm, &inner)) {
        if (inner.code == ERR_CONFLICT)
            return err_set(err, ERR_CONFLICT, "%s", inner.message);
        err_detail(err, "scmIntegrationId", "is not an SCM integration of this tenant");
        return err_set(err, ERR_INVALID, "the pipeline's SCM connection is missing");
    }
    return ERR_OK;
}

enum err_code verify_load(struct store_conn *db, const struct keyring *keys, const struct category *cat, const char *tenant_id,
                          const char *id, const struct provider *expect, json_t **config, json_t **scm, struct err *err)
{
    const struct provider *p;

    *scm = NULL;
    if (load_config(db, keys, cat, tenant_id, id, config, err))
        return err->code;
    p = provider_by_type(json_string_value(json_object_get(*config, "type")));
    if (!p || (expect && p != expect)) /* verify-slack on a TEAMS id: not an integration of this type */
        err_set(err, ERR_NOT_FOUND, "not found");
    else if (p->scm_type)
        verify_load_scm(db, keys, tenant_id, *config, scm, err);
    if (err->code) {
        integration_wipe(*config);
        json_decref(*config);
        *config = NULL;
    }
    return err->code;
}
