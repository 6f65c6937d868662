#define _POSIX_C_SOURCE 200809L
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/rand.h"
#include "core/thread.h"
#include "core/xmalloc.h"
#include "store/lookup.h"

#define STMT_CACHE 256 /* per connection; a power of two */
#define IDLE_MAX 64
#define TX_ATTEMPTS 6
#define TENANT_COL_UNKNOWN (-2) /* not looked up yet; -1: the result has no tenantId column */

struct store_stmt {
    struct store_conn *conn;
    const char *sql; /* cache key: the address of the SQL text */
    void *handle;
    int tenant_col; /* for the tenant guard: the tenantId column, -1, or TENANT_COL_UNKNOWN */
};

struct store_conn {
    struct store *store;
    void *handle;
    bool in_tx;
    char guard[UUID_SIZE]; /* the tenant guard's tenant, or "" (store_conn_guard) */
    struct store_stmt cache[STMT_CACHE];
};

struct store {
    const struct store_driver *driver;
    char *target;
    struct store_options opt;
    pthread_mutex_t lock;
    pthread_cond_t returned;    /* a connection came back, or one may be opened */
    pthread_mutex_t write_lock; /* held around write transactions when the driver serializes them */
    /*
     * With serialize_writes, every transaction runs on this one connection,
     * under write_lock: as the only connection that commits, its page cache
     * and prepared statements stay valid from one transaction to the next
     * (SQLite drops a connection's cache whenever another one has written).
     * Opened by the first transaction; outside the pool's count.
     */
    struct store_conn *writer;
    /* Transactions run on writer, the time they waited for write_lock and held it (metrics; the cap on writes). */
    atomic_uint_fast64_t writes, write_wait_us, write_held_us;
    struct lookups *lookups; /* store_lookup's batchers, when the driver pipelines */
    pthread_t maintainer;    /* runs driver->maintain, when there is one */
    pthread_mutex_t maintain_lock;
    pthread_cond_t maintain_wake;
    bool maintaining, stopping;
    int open; /* connections out of the pool plus idle ones */
    struct store_conn *idle[IDLE_MAX];
    int nidle;
    uint64_t waits, wait_us, timeouts; /* callers that found the pool full, how long they waited, how many in vain */
};

static const struct store_driver *const drivers[] = {&store_driver_sqlite, &store_driver_postgres, &store_driver_mysql};

static void *maintain_loop(void *arg)
{
    struct store *s = arg;

    thread_name("db-maintain");
    pthread_mutex_lock(&s->maintain_lock);
    while (!s->stopping) {
        struct timespec until;
        struct store_conn *c = NULL;
        struct err ignored;

        clock_deadline(&until, STORE_MAINTAIN_MS);
        pthread_cond_timedwait(&s->maintain_wake, &s->maintain_lock, &until);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->maintain_lock);
        if (store_conn_get(s, &c, &ignored) == ERR_OK) {
            s->driver->maintain(c->handle, &s->write_lock);
            store_conn_put(c);
        }
        pthread_mutex_lock(&s->maintain_lock);
    }
    pthread_mutex_unlock(&s->maintain_lock);
    return NULL;
}

/* The driver for url's scheme, and what its connect() gets (see url_whole). */
static enum err_code driver_for(const char *url, const struct store_driver **out, const char **target, struct err *err)
{
    const char *sep = strstr(url, "://");
    size_t scheme_len = sep ? (size_t)(sep - url) : 0;

    if (!sep)
        return err_set(err, ERR_INVALID, "database URL must look like sqlite://PATH, postgres://... or mysql://...");
    for (size_t i = 0; i < ARRAY_LEN(drivers); i++)
        for (size_t k = 0; k < ARRAY_LEN(drivers[i]->schemes); k++) {
            const char *name = drivers[i]->schemes[k];
            if (name && strlen(name) == scheme_len && strncmp(url, name, scheme_len) == 0) {
                *out = drivers[i];
                *target = drivers[i]->url_whole ? url : sep + 3;
                return ERR_OK;
            }
        }
    return err_set(err, ERR_INVALID, "unsupported database scheme \"%.*s\" (supported: sqlite, postgres, postgresql, mysql)",
                   (int)scheme_len, url);
}

enum err_code store_open(const char *url, const struct store_options *opt, struct store **out, struct err *err)
{
    const struct store_driver *d = NULL;
    const char *target = NULL;
    struct store *s;
    struct store_conn *c = NULL;

    *out = NULL;
    if (driver_for(url, &d, &target, err))
        return err->code;
    s = xcalloc(1, sizeof *s);
    s->driver = d;
    s->target = xstrdup(target);
    if (opt)
        s->opt = *opt;
    if (d->embedded)
        s->opt.pool_size = 0;
    if (s->opt.pool_size > IDLE_MAX)
        s->opt.pool_size = IDLE_MAX;
    if (s->opt.tenant_guard)
        log_warn("store: the tenant guard is on (SLIPWAY_TEST_TENANT_GUARD, for test runs): a request that reads a row "
                 "of another tenant fails");
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->returned, NULL);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->maintain_lock, NULL);
    pthread_cond_init(&s->maintain_wake, NULL);
    if (store_conn_get(s, &c, err)) {
        store_close(s);
        return err->code;
    }
    if (d->scatters_keys && d->scatters_keys(c->handle)) {
        log_info("store: the database splits tables into ranges by key: new ids are random, not time-ordered");
        rand_uuid_scatter();
    }
    store_conn_put(c);
    s->lookups = lookups_start(d, s->target, &s->opt);
    s->maintaining = d->maintain && pthread_create(&s->maintainer, NULL, maintain_loop, s) == 0;
    *out = s;
    return ERR_OK;
}

static void cache_clear(struct store_conn *c)
{
    for (size_t i = 0; i < STMT_CACHE; i++)
        if (c->cache[i].handle) {
            c->store->driver->finalize(c->cache[i].handle);
            c->cache[i].handle = NULL;
            c->cache[i].sql = NULL;
        }
}

/* Closes a connection and gives its place in the pool back. */
static void conn_drop(struct store_conn *c)
{
    struct store *s = c->store;

    cache_clear(c);
    s->driver->disconnect(c->handle);
    free(c);
    pthread_mutex_lock(&s->lock);
    s->open--;
    pthread_cond_signal(&s->returned);
    pthread_mutex_unlock(&s->lock);
}

static bool conn_alive(const struct store_conn *c)
{
    return !c->store->driver->alive || c->store->driver->alive(c->handle);
}

/* Replaces a dead connection's driver handle with a new one, in place. */
static enum err_code conn_renew(struct store_conn *c, struct err *err)
{
    void *h;

    if (c->store->driver->connect(c->store->target, &c->store->opt, &h, err))
        return err->code;
    cache_clear(c);
    c->store->driver->disconnect(c->handle);
    c->handle = h;
    log_info("store: replaced a dead database connection");
    return ERR_OK;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->maintaining) {
        pthread_mutex_lock(&s->maintain_lock);
        s->stopping = true;
        pthread_cond_signal(&s->maintain_wake);
        pthread_mutex_unlock(&s->maintain_lock);
        pthread_join(s->maintainer, NULL);
    }
    lookups_stop(s->lookups);
    while (s->nidle > 0)
        conn_drop(s->idle[--s->nidle]);
    if (s->writer) {
        cache_clear(s->writer);
        s->driver->disconnect(s->writer->handle);
        free(s->writer);
    }
    pthread_mutex_destroy(&s->maintain_lock);
    pthread_cond_destroy(&s->maintain_wake);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->returned);
    pthread_mutex_destroy(&s->write_lock);
    free(s->target);
    free(s);
}

enum store_dialect store_dialect(const struct store *s)
{
    return s->driver->dialect;
}

bool store_embedded(const struct store *s)
{
    return s->driver->embedded;
}

bool store_transactional_ddl(const struct store *s)
{
    return s->driver->transactional_ddl;
}

const char *store_dialect_name(enum store_dialect d)
{
    static const char *const names[] = {[STORE_SQLITE] = "sqlite", [STORE_POSTGRES] = "postgres", [STORE_MYSQL] = "mysql"};
    return names[d];
}

static bool pool_full(const struct store *s)
{
    return s->nidle == 0 && s->opt.pool_size > 0 && s->open >= s->opt.pool_size;
}

/* Waits until *until for the pool to have room; false on timeout. Called with s->lock held. */
static bool wait_for_room(struct store *s, const struct timespec *until)
{
    int64_t started;
    bool room = true;

    if (!pool_full(s))
        return true;
    started = clock_mono_us();
    s->waits++;
    while (room && pool_full(s))
        if (pthread_cond_timedwait(&s->returned, &s->lock, until) != 0)
            room = !pool_full(s);
    s->wait_us += (uint64_t)(clock_mono_us() - started);
    s->timeouts += !room;
    return room;
}

enum err_code store_conn_get(struct store *s, struct store_conn **out, struct err *err)
{
    struct store_conn *c = NULL;
    struct timespec until;
    int wait_ms = s->opt.wait_ms > 0 ? s->opt.wait_ms : 5000;

    clock_deadline(&until, wait_ms);
    for (;;) {
        pthread_mutex_lock(&s->lock);
        if (!wait_for_room(s, &until)) {
            pthread_mutex_unlock(&s->lock);
            err->transient = true;
            return err_set(err, ERR_UNAVAILABLE, "every database connection is busy; try again");
        }
        if (s->nidle > 0)
            c = s->idle[--s->nidle];
        else
            s->open++;
        pthread_mutex_unlock(&s->lock);
        if (!c)
            break;
        if (conn_alive(c)) {
            *out = c;
            return ERR_OK;
        }
        /* The server closed it while it was idle (a restart): open a new one instead. */
        conn_drop(c);
        c = NULL;
    }
    void *h;
    if (s->driver->connect(s->target, &s->opt, &h, err)) {
        pthread_mutex_lock(&s->lock);
        s->open--;
        pthread_cond_signal(&s->returned);
        pthread_mutex_unlock(&s->lock);
        return err->code;
    }
    c = xcalloc(1, sizeof *c);
    c->store = s;
    c->handle = h;
    *out = c;
    return ERR_OK;
}

void store_conn_put(struct store_conn *c)
{
    struct store *s;

    if (!c)
        return;
    s = c->store;
    if (c->in_tx) {
        /* A transaction left open is a bug upstream; never hand it to someone else. */
        log_error("store: connection returned inside a transaction; closing it");
        conn_drop(c);
        return;
    }
    c->guard[0] = '\0';
    /* Not checked for life here but when taken again (store_conn_get): one check per use, not two. */
    pthread_mutex_lock(&s->lock);
    if (s->nidle < IDLE_MAX) {
        s->idle[s->nidle++] = c;
        c = NULL;
        pthread_cond_signal(&s->returned);
    }
    pthread_mutex_unlock(&s->lock);
    if (c)
        conn_drop(c);
}

struct store *store_conn_store(const struct store_conn *c)
{
    return c->store;
}

void store_conn_guard(struct store_conn *c, const char *tenant_id)
{
    if (c->store->opt.tenant_guard)
        snprintf(c->guard, sizeof c->guard, "%s", tenant_id ? tenant_id : "");
}

const char *store_pick(const struct store_conn *c, const char *const by_dialect[STORE_DIALECTS])
{
    return by_dialect[c->store->driver->dialect];
}

static size_t cache_slot(const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9e3779b97f4a7c15u;
    return (size_t)(h >> 7) & (STMT_CACHE - 1);
}

static enum err_code prepare(struct store_conn *c, const char *sql, struct store_stmt **out, struct err *err)
{
    size_t i = cache_slot(sql);
    struct store_stmt *st;

    for (size_t probe = 0; probe < STMT_CACHE; probe++, i = (i + 1) & (STMT_CACHE - 1)) {
        st = &c->cache[i];
        if (st->sql == sql) {
            *out = st;
            return ERR_OK;
        }
        if (!st->sql)
            break;
    }
    if (c->cache[i].sql) {
        /* The cache is full (more distinct statements than slots): evict this slot. */
        c->store->driver->finalize(c->cache[i].handle);
        c->cache[i].sql = NULL;
        c->cache[i].handle = NULL;
    }
    st = &c->cache[i];
    enum err_code rc = c->store->driver->prepare(c->handle, sql, &st->handle, err);
    if (rc)
        return rc;
    st->conn = c;
    st->sql = sql;
    st->tenant_col = TENANT_COL_UNKNOWN;
    *out = st;
    return ERR_OK;
}

static enum err_code bind_all(struct store_stmt *st, const struct store_val *args, size_t nargs, struct err *err)
{
    for (size_t i = 0; i < nargs; i++)
        if (st->conn->store->driver->bind(st->conn->handle, st->handle, (int)i + 1, &args[i], err))
            return err->code;
    return ERR_OK;
}

enum err_code store_select(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs,
                           struct store_stmt **out, struct err *err)
{
    struct store_stmt *st = NULL;
    enum err_code rc = prepare(c, sql, &st, err);

    if (rc)
        return rc;
    c->store->driver->reset(st->handle);
    if (bind_all(st, args, nargs, err)) {
        c->store->driver->reset(st->handle);
        return err->code;
    }
    *out = st;
    return ERR_OK;
}

/* The tenant guard on a row just read: 1 when it may be read, -1 (logged, err set) when it is another tenant's. */
static int guard_row(struct store_stmt *st, struct err *err)
{
    const struct store_driver *d = st->conn->store->driver;
    const char *tenant;

    if (st->tenant_col == TENANT_COL_UNKNOWN)
        st->tenant_col = d->col_index(st->handle, "tenantId");
    if (st->tenant_col < 0 || d->col_null(st->handle, st->tenant_col))
        return 1;
    tenant = d->col_text(st->handle, st->tenant_col);
    if (strcasecmp(tenant, st->conn->guard) == 0)
        return 1;
    log_error("tenant guard: a request of tenant %s read a row of tenant %s: %s", st->conn->guard, tenant, st->sql);
    err_set(err, ERR_INTERNAL, "database error");
    return -1;
}

int store_next(struct store_stmt *st, struct err *err)
{
    int rc = st->conn->store->driver->next(st->conn->handle, st->handle, err);
    return rc == 1 && st->conn->guard[0] ? guard_row(st, err) : rc;
}

void store_finish(struct store_stmt *st)
{
    if (st)
        st->conn->store->driver->reset(st->handle);
}

enum err_code store_int(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs, int64_t *out,
                        struct err *err)
{
    struct store_stmt *st;
    int rc;

    *out = 0;
    if (store_select(c, sql, args, nargs, &st, err))
        return err->code;
    if ((rc = store_next(st, err)) == 1)
        *out = store_col_int(st, 0);
    store_finish(st);
    return rc < 0 ? err->code : ERR_OK;
}

enum err_code store_run(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs, int64_t *changes,
                        struct err *err)
{
    struct store_stmt *st;
    int rc;

    if (store_select(c, sql, args, nargs, &st, err))
        return err->code;
    while ((rc = store_next(st, err)) == 1)
        ;
    store_finish(st);
    if (rc < 0)
        return err->code;
    if (changes)
        *changes = c->store->driver->changes(c->handle);
    return ERR_OK;
}

const char *store_col_text(struct store_stmt *st, int col)
{
    return st->conn->store->driver->col_text(st->handle, col);
}

int64_t store_col_int(struct store_stmt *st, int col)
{
    return st->conn->store->driver->col_int(st->handle, col);
}

bool store_col_bool(struct store_stmt *st, int col)
{
    return st->conn->store->driver->col_int(st->handle, col) != 0;
}

bool store_col_null(struct store_stmt *st, int col)
{
    return st->conn->store->driver->col_null(st->handle, col);
}

bool store_row_add(struct store_row *r, const char *text)
{
    size_t n = text ? strlen(text) + 1 : 0;

    if (r->ncols >= STORE_ROW_COLUMNS || n > sizeof r->buf - r->used)
        return false;
    r->at[r->ncols++] = text ? (int)r->used : -1;
    if (text) {
        memcpy(r->buf + r->used, text, n);
        r->used += n;
    }
    return true;
}

const char *store_row_text(const struct store_row *r, int col)
{
    return col < r->ncols && r->at[col] >= 0 ? r->buf + r->at[col] : NULL;
}

int64_t store_row_int(const struct store_row *r, int col)
{
    const char *v = store_row_text(r, col);
    return v ? strtoll(v, NULL, 10) : 0;
}

bool store_row_null(const struct store_row *r, int col)
{
    return store_row_text(r, col) == NULL;
}

/* store_lookup on a pooled connection: for drivers that do not pipeline. */
static int lookup_here(struct store *s, struct store_lookup_item *item)
{
    struct store_conn *c = NULL;
    struct store_stmt *st;

    if (store_conn_get(s, &c, &item->err))
        return item->rc = -1;
    if (store_select(c, item->sql, item->args, item->nargs, &st, &item->err) == ERR_OK) {
        item->rc = store_next(st, &item->err);
        for (int i = 0; item->rc == 1 && i < item->ncols; i++)
            if (!store_row_add(item->row, store_col_null(st, i) ? NULL : store_col_text(st, i))) {
                log_error("store: a lookup's row does not fit (%d columns asked)", item->ncols);
                err_set(&item->err, ERR_INTERNAL, "database error");
                item->rc = -1;
            }
        store_finish(st);
    } else {
        item->rc = -1;
    }
    store_conn_put(c);
    return item->rc;
}

int store_lookup(struct store *s, const char *sql, const struct store_val *args, size_t nargs, int ncols, struct store_row *row,
                 struct err *err)
{
    struct store_lookup_item item = {.sql = sql, .args = args, .nargs = nargs, .ncols = ncols, .row = row};

    memset(row, 0, offsetof(struct store_row, buf));
    err_clear(&item.err);
    if ((s->lookups ? lookups_run(s->lookups, &item) : lookup_here(s, &item)) < 0)
        *err = item.err;
    return item.rc;
}

enum err_code store_exec_script(struct store_conn *c, const char *sql, struct err *err)
{
    return c->store->driver->exec(c->handle, sql, err);
}

static void backoff(int attempt)
{
    int64_t cap = 10LL << attempt; /* 10, 20, 40 ... ms */
    uint32_t r;
    struct timespec ts;

    if (cap > 500)
        cap = 500;
    rand_bytes(&r, sizeof r);
    cap = cap / 2 + (int64_t)(r % (uint32_t)(cap / 2 + 1)); /* jitter in [cap/2, cap] */
    ts.tv_sec = (time_t)(cap / 1000);
    ts.tv_nsec = (long)(cap % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* The connection transactions run on: the store's writer (made on first use) with write_lock held, or c itself. */
static enum err_code tx_conn(struct store_conn *c, struct store_conn **out, struct err *err)
{
    struct store *s = c->store;
    void *h;

    *out = c;
    if (!s->driver->serialize_writes)
        return !conn_alive(c) ? conn_renew(c, err) : ERR_OK;
    int64_t asked = clock_mono_us();
    pthread_mutex_lock(&s->write_lock);
    atomic_fetch_add_explicit(&s->write_wait_us, (uint64_t)(clock_mono_us() - asked), memory_order_relaxed);
    if (!s->writer) {
        if (s->driver->connect(s->target, &s->opt, &h, err)) {
            pthread_mutex_unlock(&s->write_lock);
            return err->code;
        }
        s->writer = xcalloc(1, sizeof *s->writer);
        s->writer->store = s;
        s->writer->handle = h;
    }
    *out = s->writer;
    return ERR_OK;
}

/* BEGIN or COMMIT: prepared once where the driver says so (tx_prepared), else exec'd. */
static enum err_code tx_statement(struct store_conn *t, const char *sql, struct err *err)
{
    const struct store_driver *d = t->store->driver;
    return d->tx_prepared ? store_run(t, sql, STORE_NO_ARGS, NULL, err) : d->exec(t->handle, sql, err);
}

enum err_code store_tx(struct store_conn *c, store_tx_fn body, void *ctx, struct err *err)
{
    const struct store_driver *d = c->store->driver;
    struct store_conn *t;
    struct err ignored;

    for (int attempt = 0;; attempt++) {
        bool ok = false;
        int64_t began;
        err_clear(err);
        if (tx_conn(c, &t, err))
            return err->code;
        began = clock_mono_us();
        if (t != c) /* the store's writer: the body runs under its caller's guard */
            memcpy(t->guard, c->guard, sizeof t->guard);
        if (tx_statement(t, d->begin_sql, err) == ERR_OK) {
            t->in_tx = true;
            ok = body(t, ctx, err) == ERR_OK && tx_statement(t, "COMMIT", err) == ERR_OK;
            if (!ok)
                d->exec(t->handle, "ROLLBACK", &ignored);
            t->in_tx = false;
        }
        if (t != c)
            t->guard[0] = '\0';
        if (d->serialize_writes) {
            struct store *s = c->store;
            atomic_fetch_add_explicit(&s->writes, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->write_held_us, (uint64_t)(clock_mono_us() - began), memory_order_relaxed);
            pthread_mutex_unlock(&s->write_lock);
        }
        if (ok)
            return ERR_OK;
        if (!err->transient || attempt + 1 >= TX_ATTEMPTS) {
            if (err->transient)
                log_warn("store: transaction failed %d times on transient errors; giving up", attempt + 1);
            return err->code;
        }
        log_debug("store: transient failure, retrying transaction (attempt %d)", attempt + 2);
        backoff(attempt);
    }
}

enum err_code store_read(struct store_conn *c, store_tx_fn body, void *ctx, struct err *err)
{
    const struct store_driver *d = c->store->driver;
    struct err ignored;

    if (!d->read_begin_sql || c->in_tx)
        return body(c, ctx, err);
    /* Through the statement cache: BEGIN and COMMIT are prepared once a connection, as any other statement is. */
    if (store_run(c, d->read_begin_sql, STORE_NO_ARGS, NULL, err))
        return err->code;
    c->in_tx = true;
    body(c, ctx, err);
    c->in_tx = false;
    if (store_run(c, d->read_end_sql, STORE_NO_ARGS, NULL, err->code ? &ignored : err))
        d->exec(c->handle, "ROLLBACK", &ignored); /* never hand the pool a connection inside a transaction */
    return err->code;
}

enum err_code store_ping(struct store *s, struct err *err)
{
    struct store_conn *c = NULL;
    struct store_stmt *st;
    int rc;

    if (store_conn_get(s, &c, err))
        return err->code;
    if (store_select(c, "SELECT 1", STORE_NO_ARGS, &st, err) == ERR_OK) {
        rc = store_next(st, err);
        store_finish(st);
        if (rc == 1)
            err_clear(err);
        else if (rc == 0)
            err_set(err, ERR_UNAVAILABLE, "database returned nothing");
    }
    store_conn_put(c);
    return err->code;
}

void store_time_from_sql(const char *in, char *out)
{
    /* "YYYY-MM-DD HH:MM:SS[.ffffff][+00]": date, time, then up to three digits of fraction. */
    size_t n = strlen(in), i = 0;

    if (n < 19) {
        snprintf(out, TIMESTAMP_SIZE, "%s", in);
        return;
    }
    memcpy(out, in, 10);
    out[10] = 'T';
    memcpy(out + 11, in + 11, 8);
    out[19] = '.';
    if (in[19] == '.')
        for (; i < 3 && in[20 + i] >= '0' && in[20 + i] <= '9'; i++)
            out[20 + i] = in[20 + i];
    for (; i < 3; i++)
        out[20 + i] = '0';
    out[23] = 'Z';
    out[24] = '\0';
}

void store_metrics_write(struct store *s, struct metrics_out *m)
{
    int open, idle;
    uint64_t waits, wait_us, timeouts;

    pthread_mutex_lock(&s->lock);
    open = s->open;
    idle = s->nidle;
    waits = s->waits;
    wait_us = s->wait_us;
    timeouts = s->timeouts;
    pthread_mutex_unlock(&s->lock);
    metrics_family(m, "slipway_db_pool_connections", "gauge", "Database connections of the pool, in use or idle.");
    metrics_printf(m, "slipway_db_pool_connections{state=\"in_use\"} %d\n", open - idle);
    metrics_printf(m, "slipway_db_pool_connections{state=\"idle\"} %d\n", idle);
    metrics_family(m, "slipway_db_pool_max_connections", "gauge", "The pool's limit (SLIPWAY_DB_POOL; 0: none, SQLite).");
    metrics_printf(m, "slipway_db_pool_max_connections %d\n", s->opt.pool_size);
    metrics_family(m, "slipway_db_pool_waits_total", "counter", "Callers that found every connection in use and waited.");
    metrics_printf(m, "slipway_db_pool_waits_total %llu\n", (unsigned long long)waits);
    metrics_family(m, "slipway_db_pool_wait_seconds_total", "counter", "Time callers spent waiting for a connection.");
    metrics_printf(m, "slipway_db_pool_wait_seconds_total %.6f\n", (double)wait_us / 1e6);
    metrics_family(m, "slipway_db_pool_timeouts_total", "counter", "Callers that waited in vain (their request answered 503).");
    metrics_printf(m, "slipway_db_pool_timeouts_total %llu\n", (unsigned long long)timeouts);
    if (!s->driver->serialize_writes)
        return;
    metrics_family(m, "slipway_db_writer_transactions_total", "counter",
                   "Write transactions, which SQLite runs one at a time on the process's writer connection.");
    metrics_printf(m, "slipway_db_writer_transactions_total %llu\n", (unsigned long long)atomic_load(&s->writes));
    metrics_family(m, "slipway_db_writer_wait_seconds_total", "counter", "Time write transactions waited for the writer.");
    metrics_printf(m, "slipway_db_writer_wait_seconds_total %.6f\n", (double)atomic_load(&s->write_wait_us) / 1e6);
    metrics_family(m, "slipway_db_writer_busy_seconds_total", "counter",
                   "Time the writer spent in transactions (near 1 a second: writes are what limits the process).");
    metrics_printf(m, "slipway_db_writer_busy_seconds_total %.6f\n", (double)atomic_load(&s->write_held_us) / 1e6);
}

/* store_backup (restore false) or store_restore: the driver's, where it has one. */
static enum err_code backup_op(const char *url, const char *file, bool restore, struct err *err)
{
    const struct store_driver *d = NULL;
    const char *target = NULL;

    if (driver_for(url, &d, &target, err))
        return err->code;
    if (!d->backup || !d->restore)
        return err_set(err, ERR_INVALID,
                       "slipway backs up SQLite only; a %s database is backed up with its own tools (docs/operations.md)",
                       store_dialect_name(d->dialect));
    return restore ? d->restore(target, file, err) : d->backup(target, file, err);
}

enum err_code store_backup(const char *url, const char *file, struct err *err)
{
    return backup_op(url, file, false, err);
}

enum err_code store_restore(const char *url, const char *file, struct err *err)
{
    return backup_op(url, file, true, err);
}
