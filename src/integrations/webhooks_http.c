#include "integrations/webhooks_http.h"

#include <pthread.h>

#include "crypto/secret.h"
#include "integrations/webhooks.h"
#include "providers/inbound.h"
#include "providers/registry.h"
#include "tenancy/roles.h"

/*
 * Group commit. A new delivery is recorded by whichever request finds no
 * commit under way, together with the other deliveries of its tenant
 * waiting by then (at most BATCH_MAX), in one transaction: under load the
 * write lock changes hands once for many deliveries instead of once each,
 * and on a busy machine each hand-over waits for a thread to be scheduled
 * (docs/performance.md, "The webhooks, batched"). Each delivery is still
 * recorded once: the batch's transaction checks each delivery id as one
 * alone would, a copy later in the same batch included. A batch that fails
 * is not retried as a batch: each of its deliveries is then recorded alone,
 * so a delivery that cannot be recorded fails only its own request.
 */
#define BATCH_MAX 64

enum receive_state { RECEIVE_WAITING, RECEIVE_RECORDED, RECEIVE_ALONE };

struct receive_tx {
    const struct principal *who;
    const struct provider_event *ev;
    bool duplicate;
    enum receive_state state;
    struct receive_tx *next;
};

static pthread_mutex_t batch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t batch_done = PTHREAD_COND_INITIALIZER;
static struct receive_tx *batch_waiting; /* oldest first */
static bool batch_busy;

static enum err_code receive_body(struct store_conn *c, void *ctx, struct err *err)
{
    for (struct receive_tx *t = ctx; t; t = t->next)
        if (webhooks_record(c, t->who->tenant_id, t->who->integration_id, t->ev, &t->duplicate, err))
            return err->code;
    return ERR_OK;
}

/* The oldest waiting deliveries of tenant (at most BATCH_MAX), in order, taken off the queue. Called with batch_lock held. */
static struct receive_tx *batch_take(const char *tenant)
{
    struct receive_tx *mine = NULL, **end = &mine;
    int n = 0;

    for (struct receive_tx **at = &batch_waiting; *at;) {
        struct receive_tx *t = *at;
        if (n < BATCH_MAX && strcmp(t->who->tenant_id, tenant) == 0) {
            *at = t->next;
            *end = t;
            end = &t->next;
            n++;
        } else {
            at = &t->next;
        }
    }
    *end = NULL;
    return mine;
}

/* Records me, in a batch or alone (struct receive_tx's duplicate says which it was). */
static enum err_code receive_record(struct store_conn *db, struct receive_tx *me, struct err *err)
{
    struct receive_tx **last = &batch_waiting;

    pthread_mutex_lock(&batch_lock);
    while (*last) /* as many as requests in flight: a short walk */
        last = &(*last)->next;
    me->state = RECEIVE_WAITING;
    me->next = NULL;
    *last = me;
    while (me->state == RECEIVE_WAITING) {
        if (batch_busy) {
            pthread_cond_wait(&batch_done, &batch_lock);
            continue;
        }
        struct receive_tx *batch = batch_take(me->who->tenant_id);
        struct err ignored;
        bool ok;
        batch_busy = true;
        pthread_mutex_unlock(&batch_lock);
        err_clear(&ignored);
        ok = store_tx(db, receive_body, batch, &ignored) == ERR_OK;
        pthread_mutex_lock(&batch_lock);
        for (struct receive_tx *t = batch; t; t = t->next) /* their requests wait for the lock: the list holds still */
            t->state = ok ? RECEIVE_RECORDED : RECEIVE_ALONE;
        batch_busy = false;
        pthread_cond_broadcast(&batch_done);
    }
    pthread_mutex_unlock(&batch_lock);
    if (me->state == RECEIVE_RECORDED)
        return ERR_OK;
    me->next = NULL;
    return store_tx(db, receive_body, me, err);
}

enum err_code webhook_receive(struct request *req, struct err *err)
{
    const struct principal *who = principal_of(req);
    const struct provider *p = provider_by_type(who->integration_type);
    struct provider_inbound in = {inbound_request_header, req, req->raw.data, req->raw.len, NULL, 0};
    struct provider_event ev = {0};
    struct receive_tx t = {.who = who, .ev = &ev};
    struct store_conn *db;
    enum err_code rc;

    if (!p || !p->ops->webhook_parse)
        return err_set(err, ERR_NOT_FOUND, "not found");
    if (p->ops->webhook_parse(&in, &ev, err) || request_db(req, &db, err))
        return err->code;
    /* A delivery seen before (a provider's retry) is answered from a read, without queueing for the write lock. */
    if (webhooks_seen(db, who->tenant_id, who->integration_id, ev.delivery, &t.duplicate, err))
        return err->code;
    rc = t.duplicate ? ERR_OK : receive_record(db, &t, err);
    if (rc == ERR_CONFLICT) {
        /* The same delivery, recorded by a concurrent request between our read and our insert. */
        err_clear(err);
        t.duplicate = true;
    } else if (rc) {
        return rc;
    }
    json_t *answer = webhooks_event_json(&ev);
    json_object_set_new(answer, "duplicate", json_boolean(t.duplicate));
    response_json(req, t.duplicate ? 200 : 202, answer);
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
