#include "verify/verify.h"

#include "core/clock.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
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

struct provider_call *verify_call_new(const struct provider_loop *loop, const struct provider *p, const char *id, json_t *config,
                                      json_t *scm, bool send_test, void (*done)(struct provider_call *v, void *ctx), void *ctx)
{
    json_t *input = json_pack("{s:b, s:s?}", "sendTest", send_test, "integrationId", id);
    return provider_call_new(loop, p, p->ops->verify, config, scm, input, done, ctx);
}

void verify_start(const struct provider_loop *loop, const struct provider *p, const char *id, json_t *config, json_t *scm,
                  bool send_test, void (*done)(struct provider_call *v, void *ctx), void *ctx)
{
    provider_call_run(verify_call_new(loop, p, id, config, scm, send_test, done, ctx));
}

json_t *verify_answer(enum verdict verdict, const char *message, json_t *details, const char *status)
{
    char now[TIMESTAMP_SIZE];
    const char *name = verdict_name(verdict);

    clock_now(now);
    return json_pack("{s:b, s:s, s:s, s:s, s:o, s:o}", "success", verdict == VERDICT_VALID, "status", status, "message", message,
                     "timestamp", now, "details", details ? json_incref(details) : json_object(), "verdict",
                     name ? json_string(name) : json_null());
}

static verify_status_fn on_status;

void verify_on_status(verify_status_fn fn)
{
    on_status = fn;
}

struct record_tx {
    const struct request *req;
    const struct category *cat;
    const char *tenant, *id;
    enum verdict verdict;
    const char *message;
    const struct provider_call *v;
    struct job *job;
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
    snprintf(t->to, 16, "%s", verify_transition(from, t->verdict));
    clock_now(now);
    if (t->verdict != VERDICT_NONE &&
        store_run(c, t->cat->sql_verdict,
                  STORE_ARGS(STORE_TEXT(t->to), STORE_TIME(now), STORE_TEXT(t->verdict == VERDICT_VALID ? NULL : t->message),
                             STORE_TEXT(t->tenant), STORE_TEXT(t->id)),
                  NULL, err))
        return err->code;
    if (on_status && strcmp(from, t->to) != 0 &&
        on_status(c, t->tenant, t->cat->slug, t->v->prov->type, t->id, from, t->to, t->message, err))
        return err->code;
    details = json_pack("{s:s, s:s, s:o, s:s}", "from", from, "to", t->to, "verdict",
                        verdict_name(t->verdict) ? json_string(verdict_name(t->verdict)) : json_null(), "message", t->message);
    rc = audit_write(c, t->req,
                     &(struct audit_event){.tenant_id = t->tenant,
                                           .action = "integration.verify",
                                           .target_type = t->cat->slug,
                                           .target_id = t->id,
                                           .failed = t->verdict != VERDICT_VALID,
                                           .details = details},
                     err);
    json_decref(details);
    if (rc)
        return rc;
    /* The job that asked ends in the same transaction: the verdict is recorded once however often the step runs. */
    json_decref(t->job->output);
    t->job->output =
        json_pack("{s:s, s:o}", "type", t->v->prov->type, "answer", verify_answer(t->verdict, t->message, t->v->output, t->to));
    return job_done_in(c, t->job, err);
}

enum err_code verify_record(struct store_conn *c, const struct request *req, const struct category *cat, const char *tenant_id,
                            const char *id, const struct provider_call *v, struct job *j, char to[16], struct err *err)
{
    struct record_tx t = {req, cat, tenant_id, id, v->verdict, v->message, v, j, to};
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
        secret_wipe_json(*config);
        json_decref(*config);
        *config = NULL;
    }
    return err->code;
}
