/*
 * sqlite.c: the embedded default driver.
 *
 * One sqlite3 connection per store_conn, in WAL mode with foreign keys on
 * and a busy timeout, so readers never block the writer and writers queue.
 * Transactions start with BEGIN IMMEDIATE: the write lock is taken up
 * front, which avoids the deadlock of two readers upgrading at once.
 */
#include "store/store_driver.h"

#include <sqlite3.h>
#include <strings.h>
#include <time.h>

#include "core/log.h"

#define BUSY_TIMEOUT_MS 5000

/*
 * WAL with NORMAL sync (durable at checkpoints, never corrupt), foreign
 * keys on, a 16 MiB page cache per connection. Checkpoints are not run by
 * whichever writer happens to commit past the threshold (inside the write
 * lock) but by the store's maintenance thread (sqlite_maintain). No memory
 * map: a database that grows under writes would be remapped again and again.
 */
#define PRAGMAS                                                                                                                    \
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "                                                 \
    "PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=67108864; PRAGMA temp_store=MEMORY;"

/*
 * Waiting for another process's write lock: short sleeps that grow from
 * 0.1 ms to 5 ms, up to BUSY_TIMEOUT_MS in all (SQLite's own handler sleeps
 * up to 100 ms at a time, which wrecks latency under contention).
 */
static int busy_wait(void *arg, int count)
{
    static const int steps_us[] = {100, 200, 500, 1000, 2000, 5000};
    int64_t waited = 0;
    struct timespec ts;

    UNUSED(arg);
    for (int i = 0; i < count; i++)
        waited += steps_us[i < 5 ? i : 5];
    if (waited >= (int64_t)BUSY_TIMEOUT_MS * 1000)
        return 0;
    ts.tv_sec = 0;
    ts.tv_nsec = (long)steps_us[count < 5 ? count : 5] * 1000L;
    nanosleep(&ts, NULL);
    return 1;
}

static enum err_code map_error(sqlite3 *db, int rc, const char *what, struct err *err)
{
    int ext = db ? sqlite3_extended_errcode(db) : rc;

    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        err->transient = true;
        return err_set(err, ERR_UNAVAILABLE, "the database is busy; try again");
    case SQLITE_CONSTRAINT:
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return err_set(err, ERR_CONFLICT, "already exists");
        if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
            return err_set(err, ERR_CONFLICT, "still referenced, or refers to something missing");
        break;
    default:
        break;
    }
    log_error("sqlite: %s failed: %s (code %d)", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), ext);
    return err_set(err, ERR_INTERNAL, "database error");
}

static enum err_code sqlite_exec(void *conn, const char *sql, struct err *err)
{
    int rc = sqlite3_exec(conn, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return map_error(conn, rc, "exec", err);
    return ERR_OK;
}

static enum err_code sqlite_connect(const char *target, const struct store_options *opt, void **out, struct err *err)
{
    sqlite3 *db = NULL;
    int rc;

    UNUSED(opt);
    if (!*target)
        return err_set(err, ERR_INVALID, "sqlite:// needs a file path, e.g. sqlite://./slipway.db");
    rc = sqlite3_open_v2(target, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        log_error("sqlite: cannot open %s: %s", target, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return err_set(err, ERR_UNAVAILABLE, "cannot open the SQLite database file");
    }
    sqlite3_busy_handler(db, busy_wait, NULL);
    sqlite3_extended_result_codes(db, 1);
    if (sqlite_exec(db, PRAGMAS, err)) {
        sqlite3_close(db);
        return err->code;
    }
    *out = db;
    return ERR_OK;
}

static void sqlite_disconnect(void *conn)
{
    sqlite3_close(conn);
}

static enum err_code sqlite_prepare(void *conn, const char *sql, void **stmt, struct err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return map_error(conn, rc, "prepare", err);
    *stmt = st;
    return ERR_OK;
}

static void sqlite_finalize(void *stmt)
{
    sqlite3_finalize(stmt);
}

static enum err_code sqlite_bind(void *conn, void *stmt, int idx, const struct store_val *v, struct err *err)
{
    int rc;

    switch (v->kind) {
    case STORE_V_TEXT:
    case STORE_V_TIME:
        rc = v->s ? sqlite3_bind_text(stmt, idx, v->s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, idx);
        break;
    case STORE_V_INT:
    case STORE_V_BOOL:
        rc = sqlite3_bind_int64(stmt, idx, v->i);
        break;
    default:
        rc = sqlite3_bind_null(stmt, idx);
        break;
    }
    if (rc != SQLITE_OK)
        return map_error(conn, rc, "bind", err);
    return ERR_OK;
}

static int sqlite_next(void *conn, void *stmt, struct err *err)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    map_error(conn, rc, "step", err);
    sqlite3_reset(stmt);
    return -1;
}

static void sqlite_reset(void *stmt)
{
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

static int64_t sqlite_changes(void *conn)
{
    return sqlite3_changes64(conn);
}

static const char *sqlite_col_text(void *stmt, int col)
{
    return (const char *)sqlite3_column_text(stmt, col);
}

static int64_t sqlite_col_int(void *stmt, int col)
{
    return sqlite3_column_int64(stmt, col);
}

static bool sqlite_col_null(void *stmt, int col)
{
    return sqlite3_column_type(stmt, col) == SQLITE_NULL;
}

static int sqlite_col_index(void *stmt, const char *name)
{
    for (int i = 0; i < sqlite3_column_count(stmt); i++)
        if (strcasecmp(sqlite3_column_name(stmt, i), name) == 0)
            return i;
    return -1;
}

/*
 * A passive checkpoint copies what it can from the WAL into the database
 * without blocking anyone. Under a steady stream of writes it never catches
 * the last frame, so the WAL would only grow: past WAL_RESTART_FRAMES the
 * writers are held back (the process's write lock) for a RESTART checkpoint,
 * which has little left to copy and lets the next writer start the WAL over.
 */
#define WAL_RESTART_FRAMES 4000

static void sqlite_maintain(void *conn, pthread_mutex_t *write_lock)
{
    int log = 0, done = 0;

    if (sqlite3_wal_checkpoint_v2(conn, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) != SQLITE_OK) {
        log_debug("sqlite: checkpoint skipped: %s", sqlite3_errmsg(conn));
        return;
    }
    if (log < WAL_RESTART_FRAMES)
        return;
    pthread_mutex_lock(write_lock);
    if (sqlite3_wal_checkpoint_v2(conn, NULL, SQLITE_CHECKPOINT_RESTART, &log, &done) != SQLITE_OK)
        log_debug("sqlite: restart checkpoint skipped: %s", sqlite3_errmsg(conn));
    pthread_mutex_unlock(write_lock);
}

const struct store_driver store_driver_sqlite = {
    .schemes = {"sqlite"},
    .dialect = STORE_SQLITE,
    .begin_sql = "BEGIN IMMEDIATE",
    .transactional_ddl = true,
    .embedded = true,
    .serialize_writes = true,
    .connect = sqlite_connect,
    .disconnect = sqlite_disconnect,
    .prepare = sqlite_prepare,
    .finalize = sqlite_finalize,
    .bind = sqlite_bind,
    .next = sqlite_next,
    .reset = sqlite_reset,
    .changes = sqlite_changes,
    .col_text = sqlite_col_text,
    .col_int = sqlite_col_int,
    .col_null = sqlite_col_null,
    .col_index = sqlite_col_index,
    .exec = sqlite_exec,
    .maintain = sqlite_maintain,
};
