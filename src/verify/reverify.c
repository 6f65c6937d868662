#include "verify/reverify.h"

#include <pthread.h>
#include <time.h>

#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/workpool.h"
#include "core/xmalloc.h"
#include "integrations/integrations.h"
#include "jobs/jobs.h"
#include "verify/verify.h"

#define BATCH 200 /* overdue integrations taken per category and run */

/*
 * One run: every check it started, and the run itself, hold a reference;
 * the last to let go frees it (checks may outlive a run that a shutdown
 * cut short).
 */
struct sweep {
    pthread_mutex_t lock;
    pthread_cond_t done;
    int refs, pending;
};

struct check {
    struct app *app;
    struct sweep *sweep;
    const struct category *cat;
    char id[UUID_SIZE], tenant[UUID_SIZE];
    struct provider_call *v;
};

static void sweep_release(struct sweep *sw, bool check_done)
{
    bool last;

    pthread_mutex_lock(&sw->lock);
    if (check_done) {
        sw->pending--;
        pthread_cond_signal(&sw->done);
    }
    last = --sw->refs == 0;
    pthread_mutex_unlock(&sw->lock);
    if (last) {
        pthread_cond_destroy(&sw->done);
        pthread_mutex_destroy(&sw->lock);
        free(sw);
    }
}

static void record(void *arg)
{
    struct check *c = arg;
    struct store_conn *db;
    struct err err;
    char to[16];

    err_clear(&err);
    if (store_conn_get(c->app->store, &db, &err) == ERR_OK) {
        if (verify_record(db, NULL, c->cat, c->tenant, c->id, c->v->verdict, c->v->message, to, &err) == ERR_OK &&
            strcmp(to, "VALID") != 0)
            log_info("re-verification: %s %s of tenant %s is now %s: %s", c->cat->slug, c->id, c->tenant, to, c->v->message);
        store_conn_put(db);
    }
    if (err.code)
        log_warn("re-verification: could not record %s %s: %s", c->cat->slug, c->id, err.message);
    sweep_release(c->sweep, true);
    provider_call_free(c->v);
    free(c);
}

static void done(struct provider_call *v, void *ctx)
{
    struct check *c = ctx;
    c->v = v;
    if (workpool_submit(c->app->verify_pool, record, c) != 0)
        record(c);
}

/* Loads and starts one overdue integration; false when it could not start. */
static bool start(struct app *app, struct store_conn *db, struct check *c)
{
    json_t *config, *scm;
    struct err err;

    err_clear(&err);
    if (verify_load(db, app->keys, c->cat, c->tenant, c->id, NULL, &config, &scm, &err))
        return false;
    verify_start(&app->providers, provider_by_type(json_string_value(json_object_get(config, "type"))), c->id, config, scm, false,
                 done, c);
    return true;
}

/* Starts a check of every overdue VALID integration of one category. */
static enum err_code start_category(struct app *app, struct store_conn *db, const struct category *cat, struct sweep *sw,
                                    struct err *err)
{
    char cutoff[TIMESTAMP_SIZE];
    char(*due)[2][UUID_SIZE] = xcalloc(BATCH, sizeof *due); /* id, tenant */
    struct store_stmt *st;
    int n = 0, rc;

    clock_format(clock_now_ms() - (int64_t)app->cfg.reverify_interval * 1000, cutoff);
    if (store_select(db, cat->sql_overdue, STORE_ARGS(STORE_TEXT("VALID"), STORE_TIME(cutoff), STORE_INT(BATCH)), &st, err)) {
        free(due);
        return err->code;
    }
    while (n < BATCH && (rc = store_next(st, err)) == 1) {
        snprintf(due[n][0], UUID_SIZE, "%s", store_col_text(st, 0));
        snprintf(due[n][1], UUID_SIZE, "%s", store_col_text(st, 1));
        n++;
    }
    store_finish(st);
    for (int i = 0; i < n; i++) {
        struct check *c = xcalloc(1, sizeof *c);
        c->app = app;
        c->sweep = sw;
        c->cat = cat;
        memcpy(c->id, due[i][0], UUID_SIZE); /* both UUID_SIZE, NUL-terminated */
        memcpy(c->tenant, due[i][1], UUID_SIZE);
        pthread_mutex_lock(&sw->lock);
        sw->refs++;
        sw->pending++;
        pthread_mutex_unlock(&sw->lock);
        if (!start(app, db, c)) {
            sweep_release(sw, true);
            free(c);
        }
    }
    free(due);
    return err->code;
}

enum err_code reverify_run(void *ctx, const struct job *job, struct err *err)
{
    struct app *app = ctx;
    struct sweep *sw = xcalloc(1, sizeof *sw);
    struct store_conn *db = NULL;
    int left;

    pthread_mutex_init(&sw->lock, NULL);
    pthread_cond_init(&sw->done, NULL);
    sw->refs = 1;
    if (store_conn_get(app->store, &db, err) == ERR_OK) {
        for (int k = 0; k < CAT__COUNT && !err->code; k++)
            start_category(app, db, category_get((enum category_id)k), sw, err);
        store_conn_put(db);
    }
    /* The job is done when every check it started has its answer recorded. */
    pthread_mutex_lock(&sw->lock);
    while (sw->pending > 0 && !jobs_stopping(job->queue)) {
        struct timespec until;
        clock_deadline(&until, 1000);
        pthread_cond_timedwait(&sw->done, &sw->lock, &until);
    }
    left = sw->pending;
    pthread_mutex_unlock(&sw->lock);
    sweep_release(sw, false);
    if (!err->code && left > 0)
        err_set(err, ERR_UNAVAILABLE, "stopped with %d check(s) unfinished", left);
    return err->code;
}

enum err_code reverify_schedule(struct store *s, struct err *err)
{
    struct store_conn *db = NULL;

    if (store_conn_get(s, &db, err))
        return err->code;
    jobs_ensure_recurring(db, REVERIFY_JOB, REVERIFY_EVERY_S, true, err);
    store_conn_put(db);
    return err->code;
}
