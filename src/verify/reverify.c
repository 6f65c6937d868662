#include "verify/reverify.h"

#include <pthread.h>
#include <time.h>

#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/workpool.h"
#include "core/xmalloc.h"
#include "integrations/integrations.h"

#define BATCH 50  /* integrations claimed per category and round */
#define TICK_S 60 /* how often overdue integrations are looked for */

struct reverify {
    struct app *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
};

struct check {
    struct app *app;
    const struct category *cat;
    char id[UUID_SIZE], tenant[UUID_SIZE];
    char before[TIMESTAMP_SIZE], claimed[TIMESTAMP_SIZE]; /* lastVerifiedAt as read, and as the claim set it */
    struct verification *v;
};

static void record(void *arg)
{
    struct check *c = arg;
    struct store_conn *db;
    struct err err;
    char to[16];

    err_clear(&err);
    if (store_conn_get(c->app->store, &db, &err) == ERR_OK) {
        if (verify_record(db, NULL, c->cat, c->tenant, c->id, c->v, to, &err) == ERR_OK && strcmp(to, "VALID") != 0)
            log_info("re-verification: %s %s of tenant %s is now %s: %s", c->cat->slug, c->id, c->tenant, to, c->v->message);
        /* No verdict: lastVerifiedAt records verdicts only, so the claim is undone (and tried again next round). */
        if (!err.code && c->v->verdict == VERDICT_NONE)
            store_run(db, c->cat->sql_claim, STORE_ARGS(STORE_TEXT(c->before), STORE_TEXT(c->id), STORE_TEXT(c->claimed)), NULL,
                      &err);
        store_conn_put(db);
    }
    if (err.code)
        log_warn("re-verification: could not record %s %s: %s", c->cat->slug, c->id, err.message);
    verify_free(c->v);
    free(c);
}

static void done(struct verification *v, void *ctx)
{
    struct check *c = ctx;
    c->v = v;
    if (workpool_submit(c->app->verify_pool, record, c) != 0)
        record(c);
}

/* Loads and starts one claimed integration; false when it could not start. */
static bool start(struct app *app, struct store_conn *db, struct check *c)
{
    json_t *config, *scm;
    struct err err;

    err_clear(&err);
    if (verify_load(db, app->keys, c->cat, c->tenant, c->id, NULL, &config, &scm, &err))
        return false;
    verify_start(&app->verify, provider_by_type(json_string_value(json_object_get(config, "type"))), config, scm, false, done, c);
    return true;
}

static void round_of_checks(struct app *app)
{
    char cutoff[TIMESTAMP_SIZE], now[TIMESTAMP_SIZE];
    struct store_conn *db;
    struct err err;

    err_clear(&err);
    clock_format(clock_now_ms() - (int64_t)app->cfg.reverify_interval * 1000, cutoff);
    if (store_conn_get(app->store, &db, &err))
        return;
    for (int k = 0; k < CAT__COUNT; k++) {
        const struct category *cat = category_get((enum category_id)k);
        struct {
            char id[UUID_SIZE], tenant[UUID_SIZE], at[TIMESTAMP_SIZE];
        } due[BATCH];
        struct store_stmt *st;
        int n = 0;

        if (store_select(db, cat->sql_overdue, STORE_ARGS(STORE_TEXT("VALID"), STORE_TEXT(cutoff), STORE_INT(BATCH)), &st, &err))
            break;
        while (n < BATCH && store_next(st, &err) == 1) {
            snprintf(due[n].id, UUID_SIZE, "%s", store_col_text(st, 0));
            snprintf(due[n].tenant, UUID_SIZE, "%s", store_col_text(st, 1));
            snprintf(due[n].at, TIMESTAMP_SIZE, "%s", store_col_text(st, 2));
            n++;
        }
        store_finish(st);
        for (int i = 0; i < n; i++) {
            int64_t claimed = 0;
            clock_now(now);
            /* Only the process whose swap succeeds checks it. */
            if (store_run(db, cat->sql_claim, STORE_ARGS(STORE_TEXT(now), STORE_TEXT(due[i].id), STORE_TEXT(due[i].at)), &claimed,
                          &err) ||
                claimed != 1)
                continue;
            struct check *c = xcalloc(1, sizeof *c);
            c->app = app;
            c->cat = cat;
            memcpy(c->id, due[i].id, UUID_SIZE); /* both UUID_SIZE, NUL-terminated */
            memcpy(c->tenant, due[i].tenant, UUID_SIZE);
            memcpy(c->before, due[i].at, TIMESTAMP_SIZE);
            memcpy(c->claimed, now, TIMESTAMP_SIZE);
            if (!start(app, db, c))
                free(c);
        }
    }
    store_conn_put(db);
}

static void *run(void *arg)
{
    struct reverify *r = arg;

    pthread_mutex_lock(&r->lock);
    while (!r->stopping) {
        struct timespec until;
        pthread_mutex_unlock(&r->lock);
        round_of_checks(r->app);
        pthread_mutex_lock(&r->lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += TICK_S;
        while (!r->stopping && pthread_cond_timedwait(&r->wake, &r->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

struct reverify *reverify_start(struct app *app)
{
    struct reverify *r = xcalloc(1, sizeof *r);
    r->app = app;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        log_error("re-verification: cannot start its thread");
        free(r);
        return NULL;
    }
    return r;
}

void reverify_stop(struct reverify *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
