#include "integrations/webhooks_http.h"

#include "crypto/secret.h"
#include "integrations/webhooks.h"
#include "providers/inbound.h"
#include "providers/registry.h"
#include "tenancy/roles.h"
#include "tenancy/tenants.h"

#define ANSWER_MAX 16384 /* a delivery's fields are ids, names and a URL */

struct receive_tx {
    const struct principal *who;
    const struct provider_event *ev;
    bool duplicate;
};

static enum err_code receive_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct receive_tx *t = ctx;
    return webhooks_record(c, t->who->tenant_id, t->who->integration_id, t->ev, &t->duplicate, err);
}

enum err_code webhook_receive(struct request *req, struct err *err)
{
    const struct principal *who = principal_of(req);
    const struct provider *p = provider_by_type(who->integration_type);
    json_t *parsed = json_incref(req->body); /* the check's parse, when it made one (webhooks_admit) */
    struct provider_inbound in = {inbound_request_header, req, req->raw.data, req->raw.len, NULL, 0, &parsed, NULL};
    struct provider_event ev = {0};
    struct receive_tx t = {.who = who, .ev = &ev};
    struct store_conn *db;
    enum err_code rc;

    if (!p || !p->ops->webhook_parse)
        return err_set(err, ERR_NOT_FOUND, "not found");
    p->ops->webhook_parse(&in, &ev, err);
    json_decref(parsed);
    if (err->code || request_db(req, &db, err))
        return err->code;
    /* A delivery seen before (a provider's retry) is answered from a read, without queueing for the write lock. */
    if (webhooks_seen(db, who->tenant_id, who->integration_id, ev.delivery, &t.duplicate, err))
        return err->code;
    /* tenant_tx: a build event may be applied to the release in the same transaction (the release page's revision). */
    rc = t.duplicate ? ERR_OK : tenant_tx(db, who->tenant_id, receive_body, &t, err);
    if (rc == ERR_CONFLICT) {
        /* The same delivery, recorded by a concurrent request between our read and our insert. */
        err_clear(err);
        t.duplicate = true;
    } else if (rc) {
        return rc;
    }
    /* Written straight into the answer's text: three requests a delivery (its copies) answer this. */
    struct jsonw w;
    jsonw_init(&w, ANSWER_MAX);
    jsonw_object(&w);
    webhooks_event_write(&w, &ev);
    jsonw_key(&w, "duplicate");
    jsonw_bool(&w, t.duplicate);
    jsonw_object_end(&w);
    response_jsonw(req, t.duplicate ? 200 : 202, &w);
    jsonw_free(&w);
    return ERR_OK;
}

/* The path's integration; with webhooks, one whose type takes them. */
static enum err_code load(struct request *req, bool webhooks, struct store_conn **db, struct integration_row **r, struct err *err)
{
    const struct category *cat = category_by_slug(request_param(req, "category"));

    *r = NULL;
    if (!cat)
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (request_db(req, db, err) ||
        integration_load(*db, NULL, cat, principal_of(req)->tenant_id, request_param(req, "id"), false, r, err))
        return err->code;
    if (webhooks && (!(*r)->prov || !(*r)->prov->ops->webhook_check)) {
        err_set(err, ERR_INVALID, "%s integrations take no webhooks", (*r)->prov ? (*r)->prov->display : "these");
        integration_row_free(*r);
        *r = NULL;
    }
    return err->code;
}

enum err_code webhook_get(struct request *req, struct err *err)
{
    struct integration_row *r;
    struct store_conn *db;
    json_t *out;

    if (load(req, false, &db, &r, err))
        return err->code;
    integration_row_free(r);
    if (webhooks_describe(db, principal_of(req)->tenant_id, request_param(req, "id"), &out, err))
        return err->code;
    response_json(req, 200, out);
    return ERR_OK;
}

struct issue_tx {
    const struct request *req;
    const struct integration_row *r;
    json_t *out;
    bool created;
};

static enum err_code issue_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct issue_tx *t = ctx;
    return webhooks_issue(c, t->req, t->r, &t->out, &t->created, err);
}

enum err_code webhook_post(struct request *req, struct err *err)
{
    struct issue_tx t = {.req = req};
    struct integration_row *r;
    struct store_conn *db;

    if (load(req, true, &db, &r, err))
        return err->code;
    t.r = r;
    store_tx(db, issue_body, &t, err);
    integration_row_free(r);
    if (err->code) {
        secret_wipe_json(t.out);
        json_decref(t.out);
        return err->code;
    }
    /* The answer is serialised now; then the object's copy of the secret is wiped before it is freed. */
    response_json(req, t.created ? 201 : 200, json_incref(t.out));
    secret_wipe_json(t.out);
    json_decref(t.out);
    return ERR_OK;
}
