/*
 * store_driver.h: what a database driver provides to store.c. Only store.c
 * and the drivers include this.
 *
 * A driver handle ("void *") is the driver's own statement object. store.c
 * owns the connection pool, the statement cache and transaction retries;
 * drivers only talk to their database.
 */
#ifndef SLIPWAY_STORE_DRIVER_H
#define SLIPWAY_STORE_DRIVER_H

#include <pthread.h>

#include "store/store.h"

struct store_lookup_item;

struct store_driver {
    const char *schemes[2]; /* "sqlite" in sqlite://...; a second spelling, or NULL */
    enum store_dialect dialect;
    const char *begin_sql; /* statement that starts a write transaction */
    /*
     * Statements that start and end a read transaction (store_read), where
     * one is cheaper than a statement on its own each (SQLite: one WAL read
     * lock for them all); NULL where it costs round trips instead.
     */
    const char *read_begin_sql, *read_end_sql;
    /*
     * begin_sql and COMMIT go through the statement cache (prepared once a
     * connection) rather than exec, which parses them at every transaction:
     * SQLite. A server's driver execs them (not every server prepares them).
     */
    bool tx_prepared;
    bool url_whole; /* connect gets the whole URL, not what follows "scheme://" */
    bool embedded;  /* connections are local and cheap: the pool has no limit */
    /*
     * DDL is transactional and cheap to group: a migration file runs in one
     * transaction (SQLite). Otherwise each statement runs in a transaction
     * of its own (CockroachDB's rule; MySQL commits DDL anyway) and the
     * dirty mark covers a failure partway.
     */
    bool transactional_ddl;
    /*
     * One write transaction at a time per process: threads wait on a mutex
     * (woken at once) instead of sleeping in the database's busy handler.
     * For SQLite, whose writers are serialized by the file lock anyway.
     */
    bool serialize_writes;

    /* target: see url_whole; *out is the driver's connection. A failure to reach the server is transient. */
    enum err_code (*connect)(const char *target, const struct store_options *opt, void **out, struct err *err);
    void (*disconnect)(void *conn);

    enum err_code (*prepare)(void *conn, const char *sql, void **stmt, struct err *err);
    void (*finalize)(void *stmt);
    enum err_code (*bind)(void *conn, void *stmt, int idx, const struct store_val *v, struct err *err);
    int (*next)(void *conn, void *stmt, struct err *err);
    void (*reset)(void *stmt);
    int64_t (*changes)(void *conn);

    const char *(*col_text)(void *stmt, int col);
    int64_t (*col_int)(void *stmt, int col);
    bool (*col_null)(void *stmt, int col);
    /* The result column called name (ASCII case ignored: PostgreSQL folds names), or -1; once a row is ready. */
    int (*col_index)(void *stmt, const char *name);

    /* Runs one statement without parameters (SQLite: several, ";"-separated). */
    enum err_code (*exec)(void *conn, const char *sql, struct err *err);
    /*
     * false when the connection can no longer be used: the server closed
     * it, or a call found it dead. Cheap (no round trip): checked when a
     * connection leaves the pool, before a transaction's retry and before
     * a lookup batch. May be NULL (an embedded database's connections do
     * not die).
     */
    bool (*alive)(void *conn);
    /*
     * Housekeeping run every STORE_MAINTAIN_MS on a pooled connection by a
     * thread of the store, off every request's path (SQLite: the WAL
     * checkpoint, which would otherwise run inside some writer's commit).
     * May be NULL.
     */
    void (*maintain)(void *conn, pthread_mutex_t *write_lock);
    /*
     * true when the database splits tables into ranges by key (CockroachDB):
     * new ids must then be random, not time-ordered (rand_uuid_scatter).
     * Asked once, of the first connection. May be NULL.
     */
    bool (*scatters_keys)(void *conn);
    /*
     * Runs n one-row reads in one round trip (a pipeline), on a connection
     * kept for it (lookup.c). Items arrive failed (transient, unavailable)
     * with empty rows; each read answered gets its rc and its row or err.
     * May be NULL: store_lookup then runs each read on a pooled connection.
     */
    void (*lookup_batch)(void *conn, struct store_lookup_item *const *items, size_t n);
    /* store_backup and store_restore (store.h) for target; NULL where the database has tools of its own. */
    enum err_code (*backup)(const char *target, const char *file, struct err *err);
    enum err_code (*restore)(const char *target, const char *file, struct err *err);
};

/* One read of store_lookup, as a driver's lookup_batch sees it (at most STORE_LOOKUP_BATCH at once). */
#define STORE_LOOKUP_BATCH 64
struct store_lookup_item {
    const char *sql;
    const struct store_val *args;
    size_t nargs;
    int ncols;
    struct store_row *row; /* empty; filled with store_row_add */
    int rc;                /* 1: a row, 0: none, -1: err */
    struct err err;
};

/* Appends a column (NULL for NULL) to a row; false when the row is full. */
bool store_row_add(struct store_row *r, const char *text);

#define STORE_MAINTAIN_MS 200

/*
 * A database's text for a timestamp ("2026-11-22 06:30:00.12+00",
 * "2026-11-22 06:30:00.123456") in slipway's form (clock.h), out[TIMESTAMP_SIZE].
 */
void store_time_from_sql(const char *in, char *out);

extern const struct store_driver store_driver_sqlite, store_driver_postgres, store_driver_mysql;

#endif
