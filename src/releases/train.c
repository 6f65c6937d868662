/* train.c: release trains, a release started at each slot of a tenant's schedule (docs/releases.md, "Scheduled trains"). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "jobs/jobs.h"
#include "releases/releases.h"
#include "tenancy/audit.h"
#include "tenancy/tenants.h"

#define DAY_MS (86400 * 1000LL)

static const char *const weekdays[] = {"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"};

int64_t release_train_slot_after(const json_t *schedule, int64_t after_ms)
{
    const char *day = json_string_value(json_object_get(schedule, "weekday"));
    const char *time = json_string_value(json_object_get(schedule, "time"));
    int wd = -1, h, m;

    for (int i = 0; day && i < 7; i++)
        if (strcmp(day, weekdays[i]) == 0)
            wd = i;
    if (wd < 0 || !time || sscanf(time, "%2d:%2d", &h, &m) != 2)
        return -1;
    int64_t d = after_ms >= 0 ? after_ms / DAY_MS : (after_ms - DAY_MS + 1) / DAY_MS;
    int today = (int)((d + 3) % 7); /* 1970-01-01 was a Thursday */
    int64_t slot = (d + (wd - today + 7) % 7) * DAY_MS + (h * 60 + m) * 60000LL;
    return slot > after_ms ? slot : slot + 7 * DAY_MS;
}

/* MAJOR.MINOR.PATCH of a semantic version (a pre-release part ignored); false for anything else. */
static bool semver_parse(const char *v, long long out[3])
{
    char *end;

    for (int i = 0; i < 3; i++) {
        errno = 0;
        out[i] = strtoll(v, &end, 10);
        if (errno || end == v || out[i] < 0 || (i < 2 ? *end != '.' : *end && *end != '-'))
            return false;
        v = end + 1;
    }
    return true;
}

void release_version_next(const char *scheme, const char *type, int64_t now_ms, const char *const *versions, size_t n,
                          char out[RELEASE_VERSION_SIZE])
{
    if (strcmp(scheme, "CALVER") == 0) { /* YYYY.MM, then YYYY.MM.1, .2, ... */
        char month[32], *end;
        long long last = -1;
        time_t secs = (time_t)(now_ms / 1000);
        struct tm tm;

        gmtime_r(&secs, &tm);
        snprintf(month, sizeof month, "%04d.%02d", tm.tm_year + 1900, tm.tm_mon + 1);
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(month);
            if (strcmp(versions[i], month) == 0 && last < 0)
                last = 0;
            else if (strncmp(versions[i], month, len) == 0 && versions[i][len] == '.') {
                long long v = strtoll(versions[i] + len + 1, &end, 10);
                if (*end == '\0' && v > last)
                    last = v;
            }
        }
        if (last < 0)
            snprintf(out, RELEASE_VERSION_SIZE, "%s", month);
        else
            snprintf(out, RELEASE_VERSION_SIZE, "%s.%lld", month, last + 1);
        return;
    }
    long long top[3] = {0, 0, 0}, v[3];
    for (size_t i = 0; i < n; i++)
        if (semver_parse(versions[i], v) &&
            (v[0] > top[0] || (v[0] == top[0] && (v[1] > top[1] || (v[1] == top[1] && v[2] > top[2])))))
            memcpy(top, v, sizeof top);
    if (strcmp(type, "MAJOR") == 0)
        snprintf(out, RELEASE_VERSION_SIZE, "%lld.0.0", top[0] + 1);
    else if (strcmp(type, "MINOR") == 0)
        snprintf(out, RELEASE_VERSION_SIZE, "%lld.%lld.0", top[0], top[1] + 1);
    else /* PATCH, HOTFIX */
        snprintf(out, RELEASE_VERSION_SIZE, "%lld.%lld.%lld", top[0], top[1], top[2] + 1);
}

enum err_code release_next_version(struct store_conn *db, const char *tenant, const char *scheme, const char *type,
                                   char out[RELEASE_VERSION_SIZE], struct err *err)
{
    struct store_stmt *st;
    char **versions = NULL;
    size_t n = 0, cap = 0;
    int rc;

    if (store_select(db, "SELECT version FROM releases WHERE tenantId = ?", STORE_ARGS(STORE_TEXT(tenant)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            versions = xrealloc(versions, cap * sizeof *versions);
        }
        versions[n++] = xstrdup(store_col_text(st, 0));
    }
    store_finish(st);
    if (rc == 0)
        release_version_next(scheme, type, clock_now_ms(), (const char *const *)versions, n, out);
    for (size_t i = 0; i < n; i++)
        free(versions[i]);
    free(versions);
    return err->code;
}

/* The engine (release_trains_start): a train's step queues the next slot's job with it. */
static struct jobs *train_jobs;

void release_trains_start(struct jobs *q)
{
    train_jobs = q;
}

enum err_code release_train_schedule(struct store_conn *c, struct jobs *q, const char *tenant, const json_t *schedule,
                                     int64_t after_ms, struct err *err)
{
    int64_t slot = release_train_slot_after(schedule, after_ms);
    char at[TIMESTAMP_SIZE], dedupe[128], id[UUID_SIZE];
    json_t *payload;

    if (slot < 0)
        return err_set(err, ERR_INTERNAL, "the release train's schedule is not one");
    clock_format(slot, at);
    snprintf(dedupe, sizeof dedupe, "train:%s:%s", tenant, at);
    payload = json_pack("{s:s}", "slot", at);
    jobs_enqueue_in(c, q,
                    &(struct job_new){.kind = RELEASE_TRAIN_JOB,
                                      .tenant = tenant,
                                      .payload = payload,
                                      .dedupe_key = dedupe,
                                      .not_before_ms = slot,
                                      .max_attempts = 10},
                    id, err);
    json_decref(payload);
    return err->code;
}

/*
 * At start-up, each schedule's next slot: a schedule saved before trains
 * existed has no job until then. Each process may run it: the slot's dedupe
 * key makes its job once, and a chain that already waits on an earlier slot
 * joins this one (its step queues the same next slot).
 */
struct resume_tx {
    const char *tenant;
    const json_t *schedule;
};

static enum err_code resume_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct resume_tx *t = ctx;
    return release_train_schedule(c, train_jobs, t->tenant, t->schedule, clock_now_ms(), err);
}

void release_trains_resume(struct store *s)
{
    json_t *found = json_object(); /* tenant -> schedule, read whole before the transactions */
    struct store_conn *db = NULL;
    struct store_stmt *st;
    const char *tenant;
    json_t *schedule;
    struct err err;
    int rc = -1;

    err_clear(&err);
    if (store_conn_get(s, &db, &err) == ERR_OK &&
        store_select(db, "SELECT tenantId, kickoffSchedule FROM release_configs WHERE kickoffSchedule IS NOT NULL", STORE_NO_ARGS,
                     &st, &err) == ERR_OK) {
        while ((rc = store_next(st, &err)) == 1)
            json_object_set_new(found, store_col_text(st, 0), json_loads(store_col_text(st, 1), 0, NULL));
        store_finish(st);
    }
    json_object_foreach(found, tenant, schedule)
    {
        struct resume_tx t = {.tenant = tenant, .schedule = schedule};
        if (rc == 0 && !err.code && json_is_object(schedule))
            store_tx(db, resume_body, &t, &err);
    }
    store_conn_put(db);
    json_decref(found);
    if (err.code)
        log_warn("releases: the trains' next slots were not all queued at start-up: %s", err.message);
}

struct train_tx {
    struct job *j;
    const json_t *schedule;
    const char *slot;
    int64_t next_after;  /* the next slot's job: the first slot after this */
    const char *skipped; /* why the slot starts no release, or NULL */
};

/* The next slot's job and this one's end (with the skip in the audit trail), in the transaction that starts the release. */
static enum err_code train_next(struct store_conn *c, void *ctx, struct err *err)
{
    struct train_tx *t = ctx;

    if (t->skipped) {
        json_t *details = json_pack("{s:s, s:s}", "slot", t->slot, "reason", t->skipped);
        audit_write(c, NULL,
                    &(struct audit_event){.tenant_id = t->j->tenant,
                                          .action = "release.train.skip",
                                          .target_type = "release_config",
                                          .target_id = t->j->tenant,
                                          .details = details,
                                          .actor_email = RELEASE_TRAIN_ACTOR},
                    err);
        json_decref(details);
    }
    if (!err->code)
        release_train_schedule(c, train_jobs, t->j->tenant, t->schedule, t->next_after, err);
    return err->code ? err->code : job_done_in(c, t->j, err);
}

/* The tenant's schedule (caller owns), or NULL for none. */
static json_t *schedule_of(struct store_conn *db, const char *tenant, struct err *err)
{
    struct store_stmt *st;
    json_t *schedule = NULL;

    if (store_select(db, "SELECT kickoffSchedule FROM release_configs WHERE tenantId = ?", STORE_ARGS(STORE_TEXT(tenant)), &st,
                     err))
        return NULL;
    if (store_next(st, err) == 1 && store_col_text(st, 0))
        schedule = json_loads(store_col_text(st, 0), 0, NULL);
    store_finish(st);
    return schedule;
}

void release_train_step(void *ctx, struct job *j)
{
    const struct release_env *env = ctx;
    const char *slot = json_string_value(json_object_get(j->payload, "slot"));
    struct train_tx t = {.j = j, .slot = slot};
    struct store_conn *db = NULL;
    json_t *schedule = NULL, *body;
    char id[UUID_SIZE], reason[256];
    int64_t slot_ms, now = clock_now_ms();
    bool started = false;
    struct err err;

    err_clear(&err);
    if (!slot || clock_parse(slot, &slot_ms) || !j->tenant[0] || !train_jobs) {
        err_set(&err, ERR_INTERNAL, "not a release train's slot, or releases are not started yet");
        job_fail(j, &err);
        return;
    }
    if (store_conn_get(env->store, &db, &err) == ERR_OK)
        schedule = schedule_of(db, j->tenant, &err);
    if (!err.code && (!schedule || release_train_slot_after(schedule, slot_ms - 1) != slot_ms)) {
        /* The schedule was removed or changed since: its PUT queued the new slot's job. */
        store_conn_put(db);
        json_decref(schedule);
        job_done(j);
        return;
    }
    t.schedule = schedule;
    t.next_after = now - RELEASE_TRAIN_GRACE_MS > slot_ms ? now - RELEASE_TRAIN_GRACE_MS : slot_ms;
    if (!err.code && now - slot_ms > RELEASE_TRAIN_GRACE_MS)
        t.skipped = "the slot was missed by more than an hour (slipway was not running then)";
    if (!err.code && !t.skipped) {
        const char *type = json_string_value(json_object_get(schedule, "releaseType"));
        body = json_pack("{s:s, s:s, s:O}", "version", "next", "releaseType", type ? type : "MINOR", "platforms",
                         json_object_get(schedule, "platforms"));
        release_create(
            db, &(struct release_new){.tenant = j->tenant, .body = body, .train_slot = slot, .also = train_next, .also_ctx = &t},
            id, &err);
        json_decref(body);
        started = !err.code;
        if (err.code == ERR_CONFLICT || err.code == ERR_INVALID) { /* the tenant cannot now: skipped, the next slot tries */
            snprintf(reason, sizeof reason, "%s", err.ndetails ? err.details[0].message : err.message);
            t.skipped = reason;
            err_clear(&err);
        }
    }
    if (!err.code && !started)
        tenant_tx(db, j->tenant, train_next, &t, &err);
    store_conn_put(db);
    json_decref(schedule);
    if (err.code)
        job_fail(j, &err);
    else
        job_done(j);
}
