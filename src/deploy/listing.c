/* listing.c: a listing read one page a job step (listing.h). */
#include "deploy/listing.h"

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
