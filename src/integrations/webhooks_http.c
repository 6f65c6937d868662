#include "integrations/webhooks_http.h"

#include "core/clock.h"
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
    return webhooks_record(c, t->who->tenant_id, t->who->integration_id, t->ev, t->who->integration_digest, &t->duplicate, err);
}

/*
 * Whether the delivery is a copy of one recorded before (*found, its event in ev), known before its body is read: by
 * the id its headers give, where the provider names a delivery there, else by its signature's digest (the same signed
 * bytes). A copy that is not found here (other bytes under the same id) is found by its id when it is recorded.
 */
static enum err_code known_copy(struct store_conn *db, const struct principal *who, const struct provider *p,
                                const struct provider_inbound *in, struct provider_event *ev, bool *found, struct err *err)
{
    const char *id = p->webhook_delivery_headers ? inbound_first_header(in, p->webhook_delivery_headers) : NULL;

    *found = false;
    if (id && id[0])
        return webhooks_find(db, who->tenant_id, who->integration_id, WEBHOOK_BY_ID, id, ev, found, err);
    if (!p->webhook_delivery_headers && who->integration_digest[0])
        return webhooks_find(db, who->tenant_id, who->integration_id, WEBHOOK_BY_DIGEST, who->integration_digest, ev, found, err);
    return ERR_OK;
}

/* A new delivery: read by its provider, then recorded (and applied where it can be) once. */
static enum err_code receive_new(struct request *req, struct store_conn *db, const struct provider *p, struct receive_tx *t,
                                 struct provider_event *ev, struct err *err)
{
    struct provider_inbound in = {inbound_request_header, req,  req->raw.data, req->raw.len, NULL,
                                  clock_now_ms() / 1000,  NULL, NULL};
    enum err_code rc;

    if (p->ops->webhook_parse(&in, ev, err))
        return err->code;
    /* tenant_tx: a build event may be applied to the release in the same transaction (the release page's revision). */
    rc = tenant_tx(db, t->who->tenant_id, receive_body, t, err);
    if (rc == ERR_CONFLICT) {
        /* The same delivery, recorded by a concurrent request between our read and our insert. */
        err_clear(err);
        t->duplicate = true;
    }
    return err->code;
}

enum err_code webhook_receive(struct request *req, struct err *err)
{
    const struct principal *who = principal_of(req);
    const struct provider *p = provider_by_type(who->integration_type);
    struct provider_inbound in = {inbound_request_header, req, req->raw.data, req->raw.len, NULL, 0, NULL, NULL};
    struct provider_event ev = {0};
    struct receive_tx t = {.who = who, .ev = &ev};
    struct store_conn *db;

    if (!p || !p->ops->webhook_parse)
        return err_set(err, ERR_NOT_FOUND, "not found");
    /* A provider's retry is answered from its row, read without queueing for the write lock or reading the body. */
    if (request_db(req, &db, err) || known_copy(db, who, p, &in, &ev, &t.duplicate, err) ||
        (!t.duplicate && receive_new(req, db, p, &t, &ev, err)))
        return err->code;
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
