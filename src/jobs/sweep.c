#include "jobs/sweep.h"

struct row_tx {
    const struct sweep *s;
    const struct job *j;
    const char *cols[SWEEP_COLS_MAX];
};

static enum err_code row_body(struct store_conn *c, void *ctx, struct err *err)
{
    const struct row_tx *t = ctx;

    return t->s->due(c, t->s->ctx, t->j, t->cols, err);
}

void sweep_pass(const struct sweep *s, struct job *j)
{
    struct store_conn *db = NULL;
    json_t *due = json_array(), *row;
    struct store_stmt *st;
    struct err err;
    size_t i;
    const struct sweep *q;
    json_int_t n;

    err_clear(&err);
    if (!s->jobs)
        err_set(&err, ERR_UNAVAILABLE, "%s is not started yet", s->name);
    else
        store_conn_get(s->store, &db, &err);
    /* Read whole first: the connection then runs each row's transaction. A row is [which query, its columns...]. */
    for (q = s, n = 0; q && !err.code; q = q->next, n++) {
        if (store_select(db, q->sql, q->args, q->nargs, &st, &err))
            break;
        while (store_next(st, &err) == 1) {
            json_t *cols = json_pack("[I]", n);
            for (int k = 0; k < q->ncols && k < SWEEP_COLS_MAX; k++)
                json_array_append_new(cols, json_string(store_col_text(st, k)));
            json_array_append_new(due, cols);
        }
        store_finish(st);
    }
    json_array_foreach(due, i, row)
    {
        struct row_tx t = {.s = s, .j = j};
        for (n = json_integer_value(json_array_get(row, 0)); n > 0; n--)
            t.s = t.s->next;
        for (size_t k = 1; k < json_array_size(row); k++)
            t.cols[k - 1] = json_string_value(json_array_get(row, k));
        if (!err.code)
            store_tx(db, row_body, &t, &err);
    }
    store_conn_put(db);
    if (json_array_size(due) > 0)
        jobs_nudge(s->jobs);
    json_decref(due);
    if (err.code)
        job_fail(j, &err);
    else
        job_done(j);
}
