#include "verify/reverify.h"

#include "core/clock.h"
#include "core/log.h"
#include "integrations/integrations.h"
#include "verify/verify.h"

#define BATCH 200 /* overdue integrations taken per category and run */

enum { SWEEP, SWEPT };

/* Every overdue VALID integration of one category, as a verify child of j; how many more. */
static enum err_code add_category(const struct verify_env *env, struct job *j, const struct category *cat, int *count,
                                  struct err *err)
{
    char cutoff[TIMESTAMP_SIZE];
    struct store_conn *db = NULL;
    struct store_stmt *st;
    int n = 0, rc;

    clock_format(clock_now_ms() - (int64_t)env->reverify_interval * 1000, cutoff);
    if (store_conn_get(env->store, &db, err) == ERR_OK &&
        store_select(db, cat->sql_overdue, STORE_ARGS(STORE_TEXT("VALID"), STORE_TIME(cutoff), STORE_INT(BATCH)), &st, err) ==
            ERR_OK) {
        while (n < BATCH && (rc = store_next(st, err)) == 1) {
            json_t *payload =
                json_pack("{s:s, s:s, s:b}", "category", cat->slug, "integrationId", store_col_text(st, 0), "sendTest", 0);
            job_child(
                j, &(struct job_new){.kind = VERIFY_JOB, .tenant = store_col_text(st, 1), .payload = payload, .max_attempts = 1});
            json_decref(payload);
            n++;
        }
        store_finish(st);
    }
    store_conn_put(db);
    *count += n;
    return err->code;
}

void reverify_step(void *ctx, struct job *j)
{
    const struct verify_env *env = ctx;
    struct err err;
    int count = 0;

    err_clear(&err);
    if (j->step == SWEPT) {
        job_done(j);
        return;
    }
    for (int k = 0; k < CAT__COUNT && !err.code; k++)
        add_category(env, j, category_get((enum category_id)k), &count, &err);
    if (err.code)
        job_fail(j, &err); /* nothing was created: the next run looks again */
    else if (count > 0)
        job_wait_children(j, SWEPT);
    else
        job_done(j);
}
