/* usage.c: counts in memory, appended to usage_events in batches, rolled up into tenant_usage; limits (usage.h). */
#include "usage/usage.h"

#include <pthread.h>

#include "core/clock.h"
#include "core/fnv.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "jobs/jobs.h"
#include "store/store.h"

const char *const usage_metric_names[USAGE__COUNT] = {
    "apiRequests",     "pageViews",          "postsPublished",    "domainChecks",      "releasesCreated",
    "buildsTriggered", "deploymentsStarted", "deploymentMinutes", "notificationsSent", "storageBytes"};

/* Open addressing; a table that fills between two flushes drops counts (and says so at the flush). */
#define USAGE_SLOTS 4096
/* Events one roll-up transaction consumes; a full batch runs the step again at once. */
#define ROLLUP_BATCH 500

struct usage_slot {
    char tenant[UUID_SIZE]; /* "" when free */
    char site[UUID_SIZE];   /* USAGE_NO_SITE: the tenant's own */
    int32_t day;            /* days since 1970-01-01, UTC */
    int metric;
    int64_t count;
};

/* A limit as cached: used is its period's usage in the database at the last reload, plus what this process flushed since. */
struct usage_limit {
    char tenant[UUID_SIZE];
    int metric;
    bool month;
    int64_t max, used;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_mutex_t flushing; /* one flush at a time */
    bool started, stopping;
    struct store *store;
    int flush_seconds;
    int storage_seconds; /* the least time between two readings of a tenant's storage */
    pthread_t thread;
    int used;
    int64_t dropped;
    struct usage_slot slots[USAGE_SLOTS];
    struct usage_limit *limits; /* sorted by (tenant, metric); under lock */
    size_t nlimits;
    int32_t limits_day;       /* the day the cached usage was read on: a flush adds only that day's counts to it */
    bool sited[USAGE__COUNT]; /* some process-lifetime count of the metric named a site (slot_pending walks then) */
} u = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .flushing = PTHREAD_MUTEX_INITIALIZER};

int usage_metric_of(const char *name)
{
    for (int i = 0; i < USAGE__COUNT; i++)
        if (strcmp(name, usage_metric_names[i]) == 0)
            return i;
    return -1;
}

static int32_t today(void)
{
    return (int32_t)(clock_now_ms() / 86400000);
}

static void day_text(int32_t day, char out[11])
{
    char ts[TIMESTAMP_SIZE];
    clock_format((int64_t)day * 86400000, ts);
    snprintf(out, 11, "%.10s", ts);
}

void usage_period_start(const char *period, int64_t now_ms, char out[11])
{
    day_text((int32_t)(now_ms / 86400000), out);
    if (strcmp(period, "month") == 0)
        memcpy(out + 8, "01", 2);
}

int64_t usage_period_end_ms(const char *period, int64_t now_ms)
{
    char ts[32];
    int year, month;
    int64_t ms = 0;

    if (strcmp(period, "month") != 0)
        return (now_ms / 86400000 + 1) * 86400000;
    clock_format(now_ms, ts);
    if (sscanf(ts, "%4d-%2d", &year, &month) != 2)
        return (now_ms / 86400000 + 1) * 86400000;
    if (++month == 13) {
        month = 1;
        year++;
    }
    snprintf(ts, sizeof ts, "%04d-%02d-01T00:00:00.000Z", (year % 10000 + 10000) % 10000, month % 100);
    return clock_parse(ts, &ms) ? (now_ms / 86400000 + 1) * 86400000 : ms;
}

/* The slot of (tenant, site, day, metric), made when make and there is room; NULL else. Under u.lock. */
static struct usage_slot *slot_find(const char *tenant_id, const char *site, int32_t day, int metric, bool make)
{
    uint64_t h = fnv1a(site, strlen(site), fnv1a(tenant_id, UUID_SIZE - 1, (uint64_t)day * 31 + (uint64_t)metric));

    for (size_t i = 0, at = h % USAGE_SLOTS; i < USAGE_SLOTS; i++, at = (at + 1) % USAGE_SLOTS) {
        struct usage_slot *s = &u.slots[at];
        if (!s->tenant[0]) {
            if (!make || u.used >= USAGE_SLOTS * 3 / 4)
                return NULL; /* keep probes short: past three quarters, drop until the flush */
            memcpy(s->tenant, tenant_id, UUID_SIZE);
            snprintf(s->site, sizeof s->site, "%s", site);
            s->day = day;
            s->metric = metric;
            s->count = 0;
            u.used++;
        }
        if (s->day == day && s->metric == metric && memcmp(s->tenant, tenant_id, UUID_SIZE) == 0 && strcmp(s->site, site) == 0)
            return s;
    }
    return NULL;
}

static bool tenant_ok(const char *tenant_id)
{
    return tenant_id && strlen(tenant_id) == UUID_SIZE - 1;
}

void usage_count(const char *tenant_id, const char *site_id, enum usage_metric metric, int64_t n)
{
    struct usage_slot *s;

    if (!u.started || !tenant_ok(tenant_id) || (unsigned)metric >= USAGE__COUNT || n <= 0)
        return;
    if (!site_id || strlen(site_id) != UUID_SIZE - 1)
        site_id = USAGE_NO_SITE;
    pthread_mutex_lock(&u.lock);
    u.sited[metric] |= site_id[0] != '\0';
    if ((s = slot_find(tenant_id, site_id, today(), (int)metric, true)))
        s->count += n;
    else
        u.dropped += n;
    pthread_mutex_unlock(&u.lock);
}

static int limit_cmp(const void *a, const void *b)
{
    const struct usage_limit *x = a, *y = b;
    int c = strcmp(x->tenant, y->tenant);
    return c ? c : x->metric - y->metric;
}

/* The first cached limit of (tenant, metric), or NULL. Under u.lock. */
static struct usage_limit *limit_first(const char *tenant_id, int metric)
{
    struct usage_limit key = {.metric = metric};
    size_t lo = 0, hi = u.nlimits;

    memcpy(key.tenant, tenant_id, UUID_SIZE);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (limit_cmp(&u.limits[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < u.nlimits && limit_cmp(&u.limits[lo], &key) == 0 ? &u.limits[lo] : NULL;
}

/*
 * Tenant's unflushed count of metric today, every site's: the tenant's own
 * slot, and each site's slot (a walk of the table: only for a metric that
 * has a limit, and a site's only where it was counted with one). Under u.lock.
 */
static int64_t slot_pending(const char *tenant_id, int metric)
{
    struct usage_slot *own = slot_find(tenant_id, USAGE_NO_SITE, today(), metric, false);
    int64_t n = own ? own->count : 0;

    if (!u.sited[metric])
        return n;
    for (int i = 0; i < USAGE_SLOTS; i++) {
        const struct usage_slot *s = &u.slots[i];
        if (s->site[0] && s->metric == metric && s->day == today() && memcmp(s->tenant, tenant_id, UUID_SIZE) == 0)
            n += s->count;
    }
    return n;
}

enum err_code usage_check(const char *tenant_id, enum usage_metric metric, struct err *err)
{
    struct usage_limit *l, *over = NULL;
    int64_t pending;
    int64_t now = clock_now_ms();
    const char *period;
    char ends[TIMESTAMP_SIZE];

    if (!u.started || !tenant_ok(tenant_id) || (unsigned)metric >= USAGE__COUNT)
        return ERR_OK;
    pthread_mutex_lock(&u.lock);
    l = u.nlimits ? limit_first(tenant_id, (int)metric) : NULL;
    pending = l ? slot_pending(tenant_id, (int)metric) : 0;
    for (; l && l < u.limits + u.nlimits && l->metric == (int)metric && strcmp(l->tenant, tenant_id) == 0; l++)
        if (l->used + pending + 1 > l->max && (!over || l->month)) /* the month's outlasts the day's */
            over = l;
    if (!over) {
        pthread_mutex_unlock(&u.lock);
        return ERR_OK;
    }
    period = over->month ? "month" : "day";
    clock_format(usage_period_end_ms(period, now), ends);
    err->retry_after = (int)((usage_period_end_ms(period, now) - now + 999) / 1000);
    err_set(err, ERR_USAGE_LIMIT, "usage limit reached: %s is limited to %lld per %s (used: %lld); the %s ends at %s",
            usage_metric_names[metric], (long long)over->max, period, (long long)(over->used + pending), period, ends);
    pthread_mutex_unlock(&u.lock);
    return err->code;
}

/* ---- storage: a gauge ---- */

/*
 * The tables that hold what a tenant stores, and the text each keeps: a
 * post's body until it is deleted (a soft-deleted post is the tenant's no
 * more), a release's notes (written by a person or made from the SCM's
 * compare), a deployment's log lines. A table that comes to hold a
 * tenant's text joins this statement. Bytes are UTF-8 octets: SQLite
 * before 3.43 has no OCTET_LENGTH, so it measures the text as a blob.
 */
/* One sum a line, as SQL reads. */
/* clang-format off */
#define STORAGE_KEPT(OCTETS)                                                                                                       \
    "SELECT (SELECT COALESCE(SUM(" OCTETS("body") "), 0) FROM posts WHERE tenantId = ? AND deletedAt IS NULL) + "                  \
    "(SELECT COALESCE(SUM(" OCTETS("notes") "), 0) FROM releases WHERE tenantId = ? AND notes IS NOT NULL) + "                     \
    "(SELECT COALESCE(SUM(" OCTETS("message") "), 0) FROM deployment_logs WHERE tenantId = ?)"
/* clang-format on */
#define OCTETS_OF_BLOB(col) "LENGTH(CAST(" col " AS BLOB))"
#define OCTETS_SQL(col) "OCTET_LENGTH(" col ")"

static const char *const storage_kept[STORE_DIALECTS] = {
    [STORE_SQLITE] = STORAGE_KEPT(OCTETS_OF_BLOB),
    [STORE_POSTGRES] = STORAGE_KEPT(OCTETS_SQL),
    [STORE_MYSQL] = STORAGE_KEPT(OCTETS_SQL),
};

enum err_code usage_storage_kept(struct store_conn *c, const char *tenant_id, int64_t *out, struct err *err)
{
    return store_int(c, store_pick(c, storage_kept),
                     STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(tenant_id), STORE_TEXT(tenant_id)), out, err);
}

/* The smallest of tenant's storageBytes limits (the period does not matter to a gauge), or -1. Under u.lock. */
static int64_t storage_max(const char *tenant_id)
{
    struct usage_limit *l = u.nlimits ? limit_first(tenant_id, USAGE_STORAGE_BYTES) : NULL;
    int64_t max = -1;

    for (; l && l < u.limits + u.nlimits && l->metric == USAGE_STORAGE_BYTES && strcmp(l->tenant, tenant_id) == 0; l++)
        if (max < 0 || l->max < max)
            max = l->max;
    return max;
}

enum err_code usage_check_storage(struct store_conn *c, const char *tenant_id, int64_t grow, struct err *err)
{
    int64_t max, kept = 0;

    if (!u.started || !tenant_ok(tenant_id) || grow <= 0)
        return ERR_OK;
    pthread_mutex_lock(&u.lock);
    max = storage_max(tenant_id);
    pthread_mutex_unlock(&u.lock);
    if (max < 0 || usage_storage_kept(c, tenant_id, &kept, err))
        return err->code;
    if (kept + grow <= max)
        return ERR_OK;
    err->retry_after = 0; /* waiting gives nothing back: deleting does */
    return err_set(err, ERR_USAGE_LIMIT,
                   "usage limit reached: storageBytes is limited to %lld bytes kept (kept: %lld; this write adds %lld)",
                   (long long)max, (long long)kept, (long long)grow);
}

/* The limits with their periods' usage (tenant_usage plus events not rolled up yet); the first ? pairs are day, month. */
#define LIMITS_SELECT                                                                                                              \
    "SELECT l.tenantId, l.metric, l.period, l.max, "                                                                               \
    "(SELECT COALESCE(SUM(t.count), 0) FROM tenant_usage t WHERE t.tenantId = l.tenantId AND t.metric = l.metric "                 \
    "AND t.day >= CASE WHEN l.period = 'day' THEN ? ELSE ? END) + "                                                                \
    "(SELECT COALESCE(SUM(e.count), 0) FROM usage_events e WHERE e.tenantId = l.tenantId AND e.metric = l.metric "                 \
    "AND e.day >= CASE WHEN l.period = 'day' THEN ? ELSE ? END) FROM tenant_limits l "

/* Sets the used of limits' storageBytes items to what tenant keeps now (one query, only when it has such a limit). */
static enum err_code storage_used(struct store_conn *c, const char *tenant_id, json_t *limits, struct err *err)
{
    int64_t kept = -1;
    size_t i;
    json_t *limit;

    json_array_foreach(limits, i, limit)
    {
        if (usage_metric_of(json_string_value(json_object_get(limit, "metric"))) != USAGE_STORAGE_BYTES)
            continue;
        if (kept < 0 && usage_storage_kept(c, tenant_id, &kept, err))
            return err->code;
        json_object_set_new(limit, "used", json_integer(kept));
    }
    return ERR_OK;
}

json_t *usage_limits_json(struct store_conn *c, const char *tenant_id, struct err *err)
{
    char day[11], month[11], day_end[TIMESTAMP_SIZE], month_end[TIMESTAMP_SIZE];
    int64_t now = clock_now_ms();
    struct store_stmt *st;
    json_t *out;
    int rc;

    usage_period_start("day", now, day);
    usage_period_start("month", now, month);
    clock_format(usage_period_end_ms("day", now), day_end);
    clock_format(usage_period_end_ms("month", now), month_end);
    if (store_select(c, LIMITS_SELECT "WHERE l.tenantId = ? ORDER BY l.metric, l.period",
                     STORE_ARGS(STORE_TEXT(day), STORE_TEXT(month), STORE_TEXT(day), STORE_TEXT(month), STORE_TEXT(tenant_id)), &st,
                     err))
        return NULL;
    out = json_array();
    while ((rc = store_next(st, err)) == 1) {
        bool per_month = strcmp(store_col_text(st, 2), "month") == 0;
        json_t *limit = json_pack("{s:s, s:s, s:I, s:I}", "metric", store_col_text(st, 1), "period", per_month ? "month" : "day",
                                  "max", (json_int_t)store_col_int(st, 3), "used", (json_int_t)store_col_int(st, 4));
        if (usage_metric_of(store_col_text(st, 1)) != USAGE_STORAGE_BYTES) /* a gauge's use is no period's: it never resets */
            json_object_set_new(limit, "resetsAt", json_string(per_month ? month_end : day_end));
        json_array_append_new(out, limit);
    }
    store_finish(st);
    if (rc < 0 || storage_used(c, tenant_id, out, err)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

void usage_limits_reload(void)
{
    char day[11], month[11];
    struct store_conn *c = NULL;
    struct store_stmt *st;
    struct usage_limit *fresh = NULL;
    size_t n = 0, cap = 0;
    int32_t at = today();
    int rc = -1;
    struct err err;

    if (!u.started)
        return;
    err_clear(&err);
    usage_period_start("day", clock_now_ms(), day);
    usage_period_start("month", clock_now_ms(), month);
    /* Every tenant's: the cache is the process's, filled for all at once (LIMITS_SELECT names tenantId per row). */
    if (store_conn_get(u.store, &c, &err) == ERR_OK &&
        store_select(c, LIMITS_SELECT "ORDER BY l.tenantId, l.metric, l.period",
                     STORE_ARGS(STORE_TEXT(day), STORE_TEXT(month), STORE_TEXT(day), STORE_TEXT(month)), &st, &err) == ERR_OK) {
        while ((rc = store_next(st, &err)) == 1) {
            int metric = usage_metric_of(store_col_text(st, 1));
            if (metric < 0 || !tenant_ok(store_col_text(st, 0)))
                continue;
            if (n == cap)
                fresh = xrealloc(fresh, (cap = cap ? cap * 2 : 16) * sizeof *fresh);
            snprintf(fresh[n].tenant, UUID_SIZE, "%s", store_col_text(st, 0));
            fresh[n].metric = metric;
            fresh[n].month = strcmp(store_col_text(st, 2), "month") == 0;
            fresh[n].max = store_col_int(st, 3);
            fresh[n].used = store_col_int(st, 4);
            n++;
        }
        store_finish(st);
    }
    store_conn_put(c);
    if (rc < 0) { /* keep the cache we have */
        log_warn("usage: limits not reloaded: %s", err.message);
        free(fresh);
        return;
    }
    if (n)
        qsort(fresh, n, sizeof *fresh, limit_cmp);
    pthread_mutex_lock(&u.lock);
    free(u.limits);
    u.limits = fresh;
    u.nlimits = n;
    u.limits_day = at;
    pthread_mutex_unlock(&u.lock);
}

/* Adds a drained slot's count to the cached limits it counts against, until the reload. Under u.lock. */
static void limits_add(const struct usage_slot *s)
{
    struct usage_limit *l = limit_first(s->tenant, s->metric);

    for (; l && l < u.limits + u.nlimits && l->metric == s->metric && strcmp(l->tenant, s->tenant) == 0; l++)
        if (s->day == u.limits_day)
            l->used += s->count;
}

void usage_flush(void)
{
    struct usage_slot *batch;
    int n = 0, lost = 0;
    int64_t dropped;
    struct store_conn *c = NULL;
    char now[TIMESTAMP_SIZE];
    struct err err;

    if (!u.started)
        return;
    batch = xmalloc(sizeof u.slots);
    pthread_mutex_lock(&u.flushing);
    pthread_mutex_lock(&u.lock);
    for (int i = 0; i < USAGE_SLOTS; i++)
        if (u.slots[i].tenant[0]) {
            batch[n++] = u.slots[i];
            if (u.nlimits)
                limits_add(&u.slots[i]);
            u.slots[i].tenant[0] = '\0';
        }
    u.used = 0;
    dropped = u.dropped;
    u.dropped = 0;
    pthread_mutex_unlock(&u.lock);
    err_clear(&err);
    clock_now(now);
    if (n > 0 && store_conn_get(u.store, &c, &err))
        lost = n;
    /* One append each, outside a transaction: a tenant deleted since its count was taken fails its own row only. */
    for (int i = 0; c && i < n; i++) {
        char id[UUID_SIZE], day[11];
        rand_uuid(id);
        day_text(batch[i].day, day);
        err_clear(&err);
        if (store_run(c,
                      "INSERT INTO usage_events (id, tenantId, siteId, day, metric, count, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      STORE_ARGS(STORE_TEXT(id), STORE_TEXT(batch[i].tenant), STORE_TEXT(batch[i].site), STORE_TEXT(day),
                                 STORE_TEXT(usage_metric_names[batch[i].metric]), STORE_INT(batch[i].count), STORE_TIME(now)),
                      NULL, &err) &&
            err.code != ERR_CONFLICT)
            lost++;
    }
    store_conn_put(c);
    usage_limits_reload(); /* the other processes' flushes, and a new day's or month's usage */
    pthread_mutex_unlock(&u.flushing);
    if (lost)
        log_warn("usage: %d count(s) not written: %s", lost, err.message);
    if (dropped)
        log_warn("usage: %lld count(s) dropped: more tenants and metrics than %d between two flushes", (long long)dropped,
                 USAGE_SLOTS * 3 / 4);
    free(batch);
}

/* ---- the roll-up ---- */

/* tenant_usage's row of (tenant, site, day, metric) made or changed: count becomes SET_COUNT (excluded. / VALUES() the new one's).
 */
#define UPSERT_INTO "INSERT INTO tenant_usage (id, tenantId, siteId, day, metric, count, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?) "
#define UPSERTS(pg_count, my_count)                                                                                                \
    {                                                                                                                              \
        [STORE_SQLITE] = UPSERT_INTO "ON CONFLICT (tenantId, siteId, day, metric) DO UPDATE SET count = " pg_count                 \
                                     ", updatedAt = excluded.updatedAt",                                                           \
        [STORE_POSTGRES] = UPSERT_INTO "ON CONFLICT (tenantId, siteId, day, metric) DO UPDATE SET count = " pg_count               \
                                       ", updatedAt = excluded.updatedAt",                                                         \
        [STORE_MYSQL] = UPSERT_INTO "ON DUPLICATE KEY UPDATE count = " my_count ", updatedAt = VALUES(updatedAt)",                 \
    }
/* A count: the events' sum is added. */
static const char *const upsert_add[STORE_DIALECTS] = UPSERTS("tenant_usage.count + excluded.count", "count + VALUES(count)");
/* A gauge: the day's row holds the last reading. */
static const char *const upsert_set[STORE_DIALECTS] = UPSERTS("excluded.count", "VALUES(count)");

struct rollup_event {
    char id[UUID_SIZE], tenant[UUID_SIZE], site[UUID_SIZE], day[11];
    int metric;
    int64_t count;
};

struct rollup {
    struct rollup_event ev[ROLLUP_BATCH];  /* the batch read */
    struct rollup_event sum[ROLLUP_BATCH]; /* its sums per (tenant, site, day, metric) */
    int nev, nsum;
};

static void rollup_add(struct rollup *r, const struct rollup_event *e)
{
    for (int i = 0; i < r->nsum; i++)
        if (r->sum[i].metric == e->metric && strcmp(r->sum[i].day, e->day) == 0 && strcmp(r->sum[i].tenant, e->tenant) == 0 &&
            strcmp(r->sum[i].site, e->site) == 0) {
            r->sum[i].count += e->count;
            return;
        }
    r->sum[r->nsum++] = *e;
}

/* One batch: read the oldest events, delete each, count those this transaction deleted, add the sums to tenant_usage. */
static enum err_code rollup_tx(struct store_conn *c, void *ctx, struct err *err)
{
    struct rollup *r = ctx;
    struct store_stmt *st;
    char now[TIMESTAMP_SIZE];
    int rc;

    r->nev = r->nsum = 0;
    /* Every tenant's: the roll-up is the instance's (each row keeps its tenantId into tenant_usage). */
    if (store_select(c, "SELECT id, tenantId, day, metric, count, siteId FROM usage_events ORDER BY createdAt, id LIMIT ?",
                     STORE_ARGS(STORE_INT(ROLLUP_BATCH)), &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1 && r->nev < ROLLUP_BATCH) {
        struct rollup_event *e = &r->ev[r->nev];
        snprintf(e->id, sizeof e->id, "%s", store_col_text(st, 0));
        snprintf(e->tenant, sizeof e->tenant, "%s", store_col_text(st, 1));
        snprintf(e->day, sizeof e->day, "%s", store_col_text(st, 2));
        e->metric = usage_metric_of(store_col_text(st, 3));
        e->count = store_col_int(st, 4);
        snprintf(e->site, sizeof e->site, "%s", store_col_text(st, 5) ? store_col_text(st, 5) : USAGE_NO_SITE);
        r->nev++;
    }
    store_finish(st);
    if (rc < 0)
        return err->code;
    for (int i = 0; i < r->nev; i++) {
        int64_t deleted = 0;
        if (store_run(c, "DELETE FROM usage_events WHERE id = ?", STORE_ARGS(STORE_TEXT(r->ev[i].id)), &deleted, err))
            return err->code;
        /* 0: another roll-up consumed it first (it waited for that one's commit): counted there, not here. */
        if (deleted == 1 && r->ev[i].metric >= 0)
            rollup_add(r, &r->ev[i]);
    }
    clock_now(now);
    for (int i = 0; i < r->nsum; i++) {
        char id[UUID_SIZE];
        rand_uuid(id);
        if (store_run(c, store_pick(c, upsert_add),
                      STORE_ARGS(STORE_TEXT(id), STORE_TEXT(r->sum[i].tenant), STORE_TEXT(r->sum[i].site),
                                 STORE_TEXT(r->sum[i].day), STORE_TEXT(usage_metric_names[r->sum[i].metric]),
                                 STORE_INT(r->sum[i].count), STORE_TIME(now)),
                      NULL, err))
            return err->code;
    }
    return ERR_OK;
}

/*
 * Records tenant's storage gauge as today's row, unless today's was read
 * less than u.storage_seconds ago (the sums read every log line the tenant
 * keeps: not every minute); a tenant that keeps nothing and never kept
 * anything gets none.
 */
static enum err_code gauge_record(struct store_conn *c, const char *tenant_id, const char *day, struct err *err)
{
    char id[UUID_SIZE], now[TIMESTAMP_SIZE], fresh[TIMESTAMP_SIZE];
    int64_t kept = 0, rows = 0;

    clock_format(clock_now_ms() - (int64_t)u.storage_seconds * 1000, fresh);
    if (store_int(
            c, "SELECT COUNT(*) FROM tenant_usage WHERE tenantId = ? AND siteId = ? AND day = ? AND metric = ? AND updatedAt > ?",
            STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(USAGE_NO_SITE), STORE_TEXT(day),
                       STORE_TEXT(usage_metric_names[USAGE_STORAGE_BYTES]), STORE_TIME(fresh)),
            &rows, err) ||
        rows)
        return err->code;
    if (usage_storage_kept(c, tenant_id, &kept, err))
        return err->code;
    if (!kept && (store_int(c, "SELECT COUNT(*) FROM tenant_usage WHERE tenantId = ? AND metric = ?",
                            STORE_ARGS(STORE_TEXT(tenant_id), STORE_TEXT(usage_metric_names[USAGE_STORAGE_BYTES])), &rows, err) ||
                  !rows))
        return err->code;
    rand_uuid(id);
    clock_now(now);
    return store_run(c, store_pick(c, upsert_set),
                     STORE_ARGS(STORE_TEXT(id), STORE_TEXT(tenant_id), STORE_TEXT(USAGE_NO_SITE), STORE_TEXT(day),
                                STORE_TEXT(usage_metric_names[USAGE_STORAGE_BYTES]), STORE_INT(kept), STORE_TIME(now)),
                     NULL, err);
}

/*
 * Every live tenant's storage gauge, read now, as today's tenant_usage row
 * (set, so a step run again after kill -9 writes the same). One tenant at
 * a time, each its own statement: no transaction spans them.
 */
static enum err_code gauges_record(struct store_conn *c, struct err *err)
{
    struct store_stmt *st;
    char(*ids)[UUID_SIZE] = NULL, day[11];
    size_t n = 0, cap = 0;
    int rc;

    day_text(today(), day);
    if (store_select(c, "SELECT id FROM tenants WHERE deletedAt IS NULL ORDER BY id", STORE_NO_ARGS, &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1) {
        if (n == cap)
            ids = xrealloc(ids, (cap = cap ? cap * 2 : 64) * sizeof *ids);
        snprintf(ids[n++], UUID_SIZE, "%s", store_col_text(st, 0));
    }
    store_finish(st);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (gauge_record(c, ids[i], day, err))
            rc = -1;
    free(ids);
    return err->code;
}

void usage_rollup_step(void *ctx, struct job *j)
{
    struct store *store = *(struct store **)ctx;
    struct store_conn *c = NULL;
    struct rollup *r = xmalloc(sizeof *r);
    struct err err;

    err_clear(&err);
    if (store_conn_get(store, &c, &err) == ERR_OK && store_tx(c, rollup_tx, r, &err) == ERR_OK && r->nev < ROLLUP_BATCH)
        gauges_record(c, &err); /* once the events are in: the run's last step */
    store_conn_put(c);
    if (err.code)
        job_fail(j, &err);
    else if (r->nev == ROLLUP_BATCH)
        job_next(j, 0); /* more are waiting: the next batch now */
    else
        job_done(j);
    free(r);
}

/* ---- the flusher ---- */

static void *flusher(void *arg)
{
    (void)arg;
    thread_name("usage");
    pthread_mutex_lock(&u.lock);
    while (!u.stopping) {
        struct timespec until;
        clock_deadline(&until, (int64_t)u.flush_seconds * 1000);
        pthread_cond_timedwait(&u.wake, &u.lock, &until);
        pthread_mutex_unlock(&u.lock);
        usage_flush();
        pthread_mutex_lock(&u.lock);
    }
    pthread_mutex_unlock(&u.lock);
    return NULL;
}

void usage_start(struct store *store, int flush_seconds, int storage_seconds)
{
    u.store = store;
    u.flush_seconds = flush_seconds;
    u.storage_seconds = storage_seconds;
    u.stopping = false;
    u.started = true;
    usage_limits_reload();
    if (pthread_create(&u.thread, NULL, flusher, NULL) != 0) {
        log_error("usage: cannot start the flusher");
        abort();
    }
}

void usage_stop(void)
{
    if (!u.started)
        return;
    pthread_mutex_lock(&u.lock);
    u.stopping = true;
    pthread_cond_signal(&u.wake);
    pthread_mutex_unlock(&u.lock);
    pthread_join(u.thread, NULL);
    usage_flush();
    pthread_mutex_lock(&u.lock);
    u.started = false;
    free(u.limits);
    u.limits = NULL;
    u.nlimits = 0;
    pthread_mutex_unlock(&u.lock);
}
