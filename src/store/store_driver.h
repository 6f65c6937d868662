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

struct store_driver {
    const char *scheme; /* "sqlite" in sqlite://... */
    enum store_dialect dialect;
    const char *begin_sql; /* statement that starts a write transaction */
    /*
     * One write transaction at a time per process: threads wait on a mutex
     * (woken at once) instead of sleeping in the database's busy handler.
     * For SQLite, whose writers are serialized by the file lock anyway.
     */
    bool serialize_writes;

    /* target is the URL after "scheme://"; *out is the driver's connection. */
    enum err_code (*connect)(const char *target, void **out, struct err *err);
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

    enum err_code (*exec)(void *conn, const char *sql, struct err *err);
    /*
     * Housekeeping run every STORE_MAINTAIN_MS on a pooled connection by a
     * thread of the store, off every request's path (SQLite: the WAL
     * checkpoint, which would otherwise run inside some writer's commit).
     * May be NULL.
     */
    void (*maintain)(void *conn, pthread_mutex_t *write_lock);
};

#define STORE_MAINTAIN_MS 200

extern const struct store_driver store_driver_sqlite;

#endif
