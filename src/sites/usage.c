/* usage.c: counts in memory, added to tenant_usage in batches (usage.h). */
#include "sites/usage.h"

#include <pthread.h>

#include "core/clock.h"
#include "core/fnv.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/xmalloc.h"
#include "store/store.h"

const char *const usage_metric_names[USAGE__COUNT] = {"apiRequests", "pageViews", "postsPublished", "domainChecks"};

/* Open addressing; a table that fills between two flushes drops counts (and says so at the flush). */
#define USAGE_SLOTS 4096

struct usage_slot {
    char tenant[UUID_SIZE]; /* "" when free */
    int32_t day;            /* days since 1970-01-01, UTC */
    int metric;
    int64_t count;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_mutex_t flushing; /* one flush at a time */
    bool started, stopping;
    struct store *store;
    int flush_seconds;
    pthread_t thread;
    int used;
    int64_t dropped;
    struct usage_slot slots[USAGE_SLOTS];
} u = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .flushing = PTHREAD_MUTEX_INITIALIZER};

void usage_count(const char *tenant_id, enum usage_metric metric, int64_t n)
{
    int32_t day = (int32_t)(clock_now_ms() / 86400000);
    size_t len;
    uint64_t h;

    if (!u.started || !tenant_id || (len = strlen(tenant_id)) != UUID_SIZE - 1 || (unsigned)metric >= USAGE__COUNT)
        return;
    h = fnv1a(tenant_id, len, (uint64_t)day * 31 + (uint64_t)metric);
    pthread_mutex_lock(&u.lock);
    for (size_t i = 0, at = h % USAGE_SLOTS; i < USAGE_SLOTS; i++, at = (at + 1) % USAGE_SLOTS) {
        struct usage_slot *s = &u.slots[at];
        if (!s->tenant[0]) {
            if (u.used >= USAGE_SLOTS * 3 / 4)
                break; /* keep probes short: past three quarters, drop until the flush */
            memcpy(s->tenant, tenant_id, UUID_SIZE);
            s->day = day;
            s->metric = (int)metric;
            s->count = 0;
            u.used++;
        }
        if (s->day == day && s->metric == (int)metric && memcmp(s->tenant, tenant_id, UUID_SIZE) == 0) {
            s->count += n;
            pthread_mutex_unlock(&u.lock);
            return;
        }
    }
    u.dropped += n;
    pthread_mutex_unlock(&u.lock);
}

static const char *const upsert[STORE_DIALECTS] = {
    [STORE_SQLITE] = ("INSERT INTO tenant_usage (id, tenantId, day, metric, count, updatedAt) VALUES (?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (tenantId, day, metric) DO UPDATE SET count = tenant_usage.count + excluded.count, "
                      "updatedAt = excluded.updatedAt"),
    [STORE_POSTGRES] = ("INSERT INTO tenant_usage (id, tenantId, day, metric, count, updatedAt) VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (tenantId, day, metric) DO UPDATE SET count = tenant_usage.count + excluded.count, "
                        "updatedAt = excluded.updatedAt"),
    [STORE_MYSQL] = ("INSERT INTO tenant_usage (id, tenantId, day, metric, count, updatedAt) VALUES (?, ?, ?, ?, ?, ?) "
                     "ON DUPLICATE KEY UPDATE count = count + VALUES(count), updatedAt = VALUES(updatedAt)"),
};

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
    /* One statement each, outside a transaction: a tenant deleted since its count was taken fails its own row only. */
    for (int i = 0; c && i < n; i++) {
        char id[UUID_SIZE], day[TIMESTAMP_SIZE];
        rand_uuid(id);
        clock_format((int64_t)batch[i].day * 86400000, day);
        day[10] = '\0';
        err_clear(&err);
        if (store_run(c, store_pick(c, upsert),
                      STORE_ARGS(STORE_TEXT(id), STORE_TEXT(batch[i].tenant), STORE_TEXT(day),
                                 STORE_TEXT(usage_metric_names[batch[i].metric]), STORE_INT(batch[i].count), STORE_TIME(now)),
                      NULL, &err) &&
            err.code != ERR_CONFLICT)
            lost++;
    }
    store_conn_put(c);
    pthread_mutex_unlock(&u.flushing);
    if (lost)
        log_warn("usage: %d count(s) not written: %s", lost, err.message);
    if (dropped)
        log_warn("usage: %lld count(s) dropped: more tenants and metrics than %d between two flushes", (long long)dropped,
                 USAGE_SLOTS * 3 / 4);
    free(batch);
}

static void *flusher(void *arg)
{
    (void)arg;
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

void usage_start(struct store *store, int flush_seconds)
{
    u.store = store;
    u.flush_seconds = flush_seconds;
    u.stopping = false;
    u.started = true;
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
    u.started = false;
}
