/* listing.c: a listing read one page a job step (listing.h). */
#include "deploy/listing.h"

#include "http/request.h"
#include "jobs/jobs.h"
#include "providers/call.h"

enum listing_turn listing_take(struct job *j, const struct provider_call *call, const struct listing *l, json_t **all)
{
    json_t *items = json_object_get(j->data, l->items), *page = json_object_get(call->output, l->items);
    const char *next = json_string_value(json_object_get(call->output, l->next));

    if (!json_is_array(items)) {
        items = json_array();
        json_object_set_new(j->data, l->items, items);
    }
    if (json_is_array(page))
        json_array_extend(items, page);
    *all = items;
    if (!next || !next[0])
        return LISTING_WHOLE;
    if (j->step + 1 >= l->max_pages)
        return LISTING_TOO_LONG;
    json_object_set_new(j->data, l->next, json_string(next));
    job_next(j, j->step + 1);
    return LISTING_NEXT;
}

int listing_running(struct store_conn *c, const char *kind, const char *prefix, char job[UUID_SIZE], struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c,
                     "SELECT id FROM jobs WHERE kind = ? AND SUBSTR(dedupeKey, 1, ?) = ? AND state IN ('QUEUED', 'RUNNING', "
                     "'WAITING')",
                     STORE_ARGS(STORE_TEXT(kind), STORE_INT((int64_t)strlen(prefix)), STORE_TEXT(prefix)), &st, err))
        return -1;
    if ((rc = store_next(st, err)) == 1)
        snprintf(job, UUID_SIZE, "%s", store_col_text(st, 0));
    store_finish(st);
    return rc;
}

json_t *listing_states(struct store_conn *c, const struct listing_states *q, const char *tenant, struct err *err)
{
    json_t *out = json_array();
    struct store_stmt *st;

    if (store_select(c, q->sql, STORE_ARGS(STORE_TEXT(tenant)), &st, err) == ERR_OK) {
        while (store_next(st, err) == 1)
            json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id", store_col_text(st, 0), "type",
                                                 store_col_text(st, 1), "displayName", store_col_text(st, 2), q->keys[0],
                                                 store_col_text(st, 3), q->keys[1], json_text_or_null(store_col_text(st, 4)),
                                                 q->keys[2], json_text_or_null(store_col_text(st, 5))));
        store_finish(st);
    }
    return out;
}

/* A page answered: taken, and once the listing is whole, written with j's end. */
static void page_done(const struct listing_job *l, const void *env, struct store *store, struct job *j, const char *integration,
                      const struct provider_call *call)
{
    struct listing_write w = {.job = j, .integration = integration};
    struct store_conn *db = NULL;
    enum listing_turn turn;
    json_t *all;
    struct err err;

    err_clear(&err);
    if (call->verdict != VERDICT_VALID) {
        l->failed(env, j, integration, call->message[0] ? call->message : "the provider did not answer");
        return;
    }
    if ((turn = listing_take(j, call, &l->pages, &all)) == LISTING_TOO_LONG) {
        char message[120];
        snprintf(message, sizeof message, "the listing has more than %d pages: more than %s reads", l->pages.max_pages, l->what);
        l->failed(env, j, integration, message);
    }
    if (turn != LISTING_WHOLE)
        return;
    w.items = all;
    if (store_conn_get(store, &db, &err) == ERR_OK)
        store_tx(db, l->write, &w, &err);
    store_conn_put(db);
    if (err.code)
        job_fail(j, &err);
    else
        job_done(j);
}

void listing_step(const struct listing_job *l, const void *env, struct store *store, struct job *j)
{
    const char *integration = json_string_value(json_object_get(j->payload, "integrationId"));
    struct provider_call *call = provider_call_of(j);
    struct err err;

    err_clear(&err);
    if (!integration || !j->tenant[0]) {
        err_set(&err, ERR_INTERNAL, "not %s: the payload names no integration", l->what);
        job_fail(j, &err);
    } else if (call) {
        page_done(l, env, store, j, integration, call);
    } else if (l->start_page(env, j, integration, &err) == ERR_NOT_FOUND) {
        job_done(j); /* the integration was deleted, its rows with it */
    } else if (err.code == ERR_CONFLICT || err.code == ERR_INVALID) {
        l->failed(env, j, integration, err.message);
    } else if (err.code) {
        job_fail(j, &err);
    }
}
