/*
 * store.h: the one interface between slipway and its database.
 *
 * Domain code talks to this header only; the drivers (sqlite.c,
 * postgres.c, mysql.c) sit behind the vtable in store_driver.h.
 *
 * - struct store is a database: a driver plus a pool of connections. It is
 *   thread-safe.
 * - struct store_conn is one connection, used by one thread at a time:
 *   store_conn_get() takes one from the pool, store_conn_put() returns it.
 * - struct store_stmt is a prepared statement owned by its connection's
 *   cache. SQL uses "?" placeholders; it is prepared once per connection
 *   and reused. The cache is keyed by the SQL text's address, so pass
 *   string literals (or strings that outlive the store).
 *
 * Values are bound with store_val arrays (STORE_ARGS makes one inline):
 *
 *     store_run(db, "UPDATE tenants SET orgName = ? WHERE id = ?",
 *               STORE_ARGS(STORE_TEXT(name), STORE_TEXT(id)), &changes, err);
 *
 * A statement from store_select() must be finished with store_finish()
 * (which resets it, releasing its read snapshot) before the connection is
 * used for anything else.
 *
 * Errors: a unique or foreign-key violation is ERR_CONFLICT; a value the
 * database cannot read as its column's type is ERR_INVALID; a busy
 * database, a serialization failure, a deadlock or a lost connection is
 * ERR_UNAVAILABLE with err->transient set (store_tx retries those, on a
 * fresh connection when the old one died); anything else ERR_INTERNAL
 * with the driver's text in the log, never in the err message.
 */
#ifndef SLIPWAY_STORE_H
#define SLIPWAY_STORE_H

#include "core/common.h"
#include "core/err.h"

struct store;
struct store_conn;
struct store_stmt;

enum store_dialect { STORE_SQLITE, STORE_POSTGRES, STORE_MYSQL, STORE_DIALECTS };

/*
 * A timestamp (STORE_V_TIME) is text in slipway's one form, clock.h's
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds): SQLite keeps the text,
 * PostgreSQL binds it to timestamptz, MySQL to DATETIME(3). Reading any
 * timestamp column gives the same form back on every database.
 */
enum store_val_kind { STORE_V_NULL, STORE_V_TEXT, STORE_V_INT, STORE_V_BOOL, STORE_V_TIME };

struct store_val {
    enum store_val_kind kind;
    const char *s; /* STORE_V_TEXT, STORE_V_TIME; NULL binds NULL */
    int64_t i;     /* STORE_V_INT, STORE_V_BOOL */
};

#define STORE_NULL ((struct store_val){.kind = STORE_V_NULL})
#define STORE_TEXT(v) ((struct store_val){.kind = STORE_V_TEXT, .s = (v)})
#define STORE_INT(v) ((struct store_val){.kind = STORE_V_INT, .i = (v)})
#define STORE_BOOL(v) ((struct store_val){.kind = STORE_V_BOOL, .i = (v) ? 1 : 0})
#define STORE_TIME(v) ((struct store_val){.kind = STORE_V_TIME, .s = (v)})
#define STORE_ARGS(...)                                                                                                            \
    (const struct store_val[]){__VA_ARGS__}, sizeof((const struct store_val[]){__VA_ARGS__}) / sizeof(struct store_val)
#define STORE_NO_ARGS NULL, 0

struct store_options {
    /*
     * Most connections open at once; a caller past it waits up to
     * wait_ms for one to come back, then gets ERR_UNAVAILABLE. 0: no limit
     * (SQLite's default: one per thread that asks).
     */
    int pool_size;
    int wait_ms;
    int connect_timeout; /* seconds a new server connection may take (PostgreSQL, MySQL) */
    /*
     * Test runs only (SLIPWAY_TEST_TENANT_GUARD): store_conn_guard() makes
     * a connection refuse rows of other tenants. Off, it costs one branch
     * per row read.
     */
    bool tenant_guard;
};

/*
 * Opens the database named by url: sqlite://PATH, postgres://... or
 * postgresql://... (a libpq URI; sslmode and the other parameters pass
 * through), mysql://user:password@host:port/database?ssl-mode=...
 * Connects once to prove it.
 */
enum err_code store_open(const char *url, const struct store_options *opt, struct store **out, struct err *err);
void store_close(struct store *s);
enum store_dialect store_dialect(const struct store *s);
const char *store_dialect_name(enum store_dialect d);
/* Whether the database runs in this process (SQLite), not behind a network connection. */
bool store_embedded(const struct store *s);
/* Whether a migration file can run as one transaction (see store_driver.h). */
bool store_transactional_ddl(const struct store *s);

enum err_code store_conn_get(struct store *s, struct store_conn **out, struct err *err);
/* Returns c to the pool (forgetting its guard); NULL does nothing. */
void store_conn_put(struct store_conn *c);
struct store *store_conn_store(const struct store_conn *c);

/*
 * The tenant guard, for test runs (store_options.tenant_guard; a no-op
 * otherwise): from now on, every row c reads (store_next) that has a
 * result column named tenantId must belong to tenant_id. A row of another
 * tenant is logged at level error ("tenant guard: ...", the API tests fail
 * on it) and store_next fails with ERR_INTERNAL, so the request answers
 * 500. tenant_id NULL or "" lifts the guard. The server sets it from the
 * request's authenticated tenant (request_db); a transaction's body runs
 * under its caller's guard whatever connection it is handed.
 */
void store_conn_guard(struct store_conn *c, const char *tenant_id);

/*
 * A statement that differs by database is written once per dialect, in one
 * place, as an array indexed by enum store_dialect (each a string literal);
 * store_pick gives the connection's own. Domain code never tests the
 * dialect itself.
 */
const char *store_pick(const struct store_conn *c, const char *const by_dialect[STORE_DIALECTS]);

/* Runs a statement that returns no rows; *changes (may be NULL) gets the affected row count. */
enum err_code store_run(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs, int64_t *changes,
                        struct err *err);

/* Prepares and binds a query; iterate with store_next(), then store_finish(). */
enum err_code store_select(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs,
                           struct store_stmt **out, struct err *err);
/* 1: a row is ready; 0: no more rows; -1: error (err filled; also a row the tenant guard refuses). */
int store_next(struct store_stmt *st, struct err *err);
void store_finish(struct store_stmt *st);

/* Column accessors for the current row; text stays valid until the next store_next/store_finish. */
const char *store_col_text(struct store_stmt *st, int col);
int64_t store_col_int(struct store_stmt *st, int col);
bool store_col_bool(struct store_stmt *st, int col);
bool store_col_null(struct store_stmt *st, int col);

/* The first column of a query's first row as an integer (a COUNT), into *out; 0 when there is no row. */
enum err_code store_int(struct store_conn *c, const char *sql, const struct store_val *args, size_t nargs, int64_t *out,
                        struct err *err);

/* One row copied out of the database: store_lookup's answer. */
#define STORE_ROW_COLUMNS 16
#define STORE_ROW_BYTES 2048
struct store_row {
    int ncols;
    int at[STORE_ROW_COLUMNS]; /* where each column's text starts in buf; -1 for NULL */
    size_t used;
    char buf[STORE_ROW_BYTES];
};

const char *store_row_text(const struct store_row *r, int col); /* NULL for NULL */
int64_t store_row_int(const struct store_row *r, int col);
bool store_row_null(const struct store_row *r, int col);

/*
 * Reads the first ncols columns of a query's first row into *row: 1, or 0
 * when there is no row, or -1 with err set (at most STORE_ROW_COLUMNS
 * arguments and columns). For the hottest one-row reads
 * (the token behind every request): where the driver can pipeline
 * (PostgreSQL), the lookups of every thread share round trips to the
 * server (lookup.c); elsewhere it runs on a connection of the pool.
 * Outside any transaction: it sees what is committed.
 */
int store_lookup(struct store *s, const char *sql, const struct store_val *args, size_t nargs, int ncols, struct store_row *row,
                 struct err *err);

/* Runs several ";"-separated statements with no parameters (migrations). */
enum err_code store_exec_script(struct store_conn *c, const char *sql, struct err *err);

/*
 * Runs body inside a transaction. When the body or the commit fails with a
 * transient error the whole transaction is rolled back and body runs again,
 * with capped exponential backoff and jitter, up to a few attempts; the
 * body must therefore have no effect outside the database. The body must
 * use the connection it is given, which need not be c: on SQLite every
 * transaction runs on the store's one writer connection.
 */
typedef enum err_code (*store_tx_fn)(struct store_conn *c, void *ctx, struct err *err);
enum err_code store_tx(struct store_conn *c, store_tx_fn body, void *ctx, struct err *err);

/*
 * Runs body's reads in one read transaction where that is cheaper than a
 * transaction per statement (SQLite, in WAL mode: the shared lock and the
 * snapshot are taken once, not once per statement; the body also sees one
 * moment of the database). Elsewhere (a database server, where BEGIN and
 * COMMIT are two more round trips) body just runs, each statement seeing
 * what is committed when it starts. No retries: body must not write.
 */
enum err_code store_read(struct store_conn *c, store_tx_fn body, void *ctx, struct err *err);

/* Checks that the database answers (for /readyz). */
enum err_code store_ping(struct store *s, struct err *err);

struct metrics_out;
/* Appends the pool's families to m: connections in use and idle, the limit, waits for one and their time, timeouts. */
void store_metrics_write(struct store *s, struct metrics_out *m);

/*
 * Backups of an embedded database (`slipway admin backup|restore`;
 * docs/operations.md). store_backup copies the database url names into
 * file, a new file readable by its owner only, as it was at one moment,
 * while processes keep reading and writing it. store_restore checks file
 * (SQLite's integrity check, and that it holds slipway's schema) and puts
 * it in place of the database: ERR_CONFLICT while any process has that
 * database open. A database server has its own tools: ERR_INVALID, saying
 * so.
 */
enum err_code store_backup(const char *url, const char *file, struct err *err);
enum err_code store_restore(const char *url, const char *file, struct err *err);

#endif
