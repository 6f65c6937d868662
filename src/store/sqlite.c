/*
 * sqlite.c: the embedded default driver.
 *
 * One sqlite3 connection per store_conn, in WAL mode with foreign keys on
 * and a busy timeout, so readers never block the writer and writers queue.
 * Transactions start with BEGIN IMMEDIATE: the write lock is taken up
 * front, which avoids the deadlock of two readers upgrading at once.
 */
#include "store/store_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>
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

/*
 * The file holds password and token hashes: a new one is created readable
 * by its owner only (SQLite gives its -wal and -shm files the database
 * file's mode), and an existing one that others may read is reported.
 */
static enum err_code create_private(const char *path, struct err *err)
{
    static atomic_bool warned; /* once a process, not once a connection */
    struct stat st;
    int fd;

    if (stat(path, &st) == 0) {
        if ((st.st_mode & (S_IRWXG | S_IRWXO)) && !atomic_exchange(&warned, true))
            log_warn("sqlite: %s is readable by other users (mode %03o): it holds password hashes, chmod 600 it", path,
                     (unsigned)(st.st_mode & 0777));
        return ERR_OK;
    }
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
        log_error("sqlite: cannot create %s: %s", path, strerror(errno));
        return err_set(err, ERR_UNAVAILABLE, "cannot create the SQLite database file");
    }
    if (fd >= 0)
        close(fd);
    return ERR_OK;
}

static enum err_code sqlite_connect(const char *target, const struct store_options *opt, void **out, struct err *err)
{
    sqlite3 *db = NULL;
    int rc;

    UNUSED(opt);
    if (!*target)
        return err_set(err, ERR_INVALID, "sqlite:// needs a file path, e.g. sqlite://./slipway.db");
    if (create_private(target, err))
        return err->code;
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

/* The first row's first column of a statement without parameters, into out; false (out: SQLite's message) on failure. */
static bool first_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;

    snprintf(out, n, "%s", ok ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ok;
}

/* Every page of from's main database into to's, in one step: one read transaction, so one moment of from. */
static enum err_code copy_pages(sqlite3 *to, sqlite3 *from, struct err *err)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    int rc;

    if (!b) {
        log_error("sqlite: cannot start a backup: %s", sqlite3_errmsg(to));
        return err_set(err, ERR_INTERNAL, "cannot start the copy");
    }
    rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        return map_error(to, sqlite3_errcode(to) != SQLITE_OK ? sqlite3_errcode(to) : rc, "backup", err);
    return ERR_OK;
}

/*
 * The online backup API, from a connection of its own: the copy is the
 * database as of the moment its read transaction began (WAL: the server's
 * writers go on meanwhile). The copy is a new file, private from its first
 * byte, in rollback-journal mode (one file, no -wal beside it), checked
 * before it is called done; a failed copy is removed.
 */
static enum err_code sqlite_backup(const char *target, const char *file, struct err *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    char check[256];
    int fd;

    if (sqlite3_open_v2(target, &src, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        log_error("sqlite: cannot open %s: %s", target, sqlite3_errmsg(src));
        sqlite3_close(src);
        return err_set(err, ERR_UNAVAILABLE, "cannot open the database (SLIPWAY_DATABASE_URL) to back it up");
    }
    sqlite3_busy_handler(src, busy_wait, NULL);
    fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        sqlite3_close(src);
        if (errno == EEXIST)
            return err_set(err, ERR_CONFLICT, "%s exists: a backup goes to a new file", file);
        return err_set(err, ERR_INVALID, "cannot create %s: %s", file, strerror(errno));
    }
    close(fd);
    if (sqlite3_open_v2(file, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        err_set(err, ERR_INVALID, "cannot open %s: %s", file, sqlite3_errmsg(dst));
        goto out;
    }
    if (copy_pages(dst, src, err) || sqlite_exec(dst, "PRAGMA journal_mode=DELETE", err))
        goto out;
    if (!first_text(dst, "PRAGMA integrity_check", check, sizeof check) || strcmp(check, "ok") != 0)
        err_set(err, ERR_INTERNAL, "the copy failed SQLite's integrity check: %s", check);
out:
    sqlite3_close(dst);
    sqlite3_close(src);
    if (err->code)
        unlink(file);
    return err->code;
}

/*
 * Back from a copy: the copy must pass SQLite's integrity check and hold
 * slipway's migrations table. Then the database is opened in exclusive
 * locking mode: every open connection of a running server holds a shared
 * lock on the file (WAL mode keeps one for a connection's life), so the
 * exclusive lock is refused, at once, while any process has it open. The
 * pages are copied under that lock; the server then migrates the copy up
 * if it is older (serve --migrate, or slipway migrate up).
 */
static enum err_code sqlite_restore(const char *target, const char *file, struct err *err)
{
    sqlite3 *src = NULL, *dst = NULL;
    char check[256];

    if (sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        err_set(err, ERR_INVALID, "cannot open %s: %s", file, sqlite3_errmsg(src));
        goto out;
    }
    if (!first_text(src, "PRAGMA integrity_check", check, sizeof check) || strcmp(check, "ok") != 0) {
        err_set(err, ERR_INVALID, "%s is not a sound SQLite database: %s", file, check);
        goto out;
    }
    if (!first_text(src, "SELECT COUNT(*) FROM schema_migrations", check, sizeof check)) {
        err_set(err, ERR_INVALID, "%s is not a slipway database (it has no schema_migrations table)", file);
        goto out;
    }
    if (create_private(target, err))
        goto out;
    if (sqlite3_open_v2(target, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        log_error("sqlite: cannot open %s: %s", target, sqlite3_errmsg(dst));
        err_set(err, ERR_UNAVAILABLE, "cannot open the database (SLIPWAY_DATABASE_URL) to restore it");
        goto out;
    }
    if (sqlite3_exec(dst, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;", NULL, NULL, NULL) != SQLITE_OK) {
        if ((sqlite3_errcode(dst) & 0xff) == SQLITE_BUSY || (sqlite3_errcode(dst) & 0xff) == SQLITE_LOCKED)
            err_set(err, ERR_CONFLICT, "the database is open in another process: stop every slipway using it, then restore");
        else
            map_error(dst, sqlite3_errcode(dst), "lock", err);
        goto out;
    }
    if (copy_pages(dst, src, err) == ERR_OK)
        sqlite_exec(dst, "PRAGMA journal_mode=WAL", err);
out:
    sqlite3_close(dst);
    sqlite3_close(src);
    return err->code;
}

const struct store_driver store_driver_sqlite = {
    .schemes = {"sqlite"},
    .dialect = STORE_SQLITE,
    .begin_sql = "BEGIN IMMEDIATE",
    .read_begin_sql = "BEGIN",
    .read_end_sql = "COMMIT",
    .tx_prepared = true,
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
    .backup = sqlite_backup,
    .restore = sqlite_restore,
};
