/*
 * postgres.c: the PostgreSQL driver (libpq), which CockroachDB also speaks.
 *
 * Each statement is prepared once per connection under a generated name,
 * its "?" placeholders rewritten to $1, $2... on the way (outside quotes
 * and comments). Parameters and results travel as text; a result is read
 * whole by PQexecPrepared and next() walks its rows. Booleans read back as
 * 1/0 and timestamps in slipway's form, so domain code sees what SQLite
 * gives it.
 *
 * Transactions run READ COMMITTED; work on one tenant's data locks the
 * tenant's row first (tenant_tx), which gives a read-then-write body the
 * meaning it has on SQLite without SERIALIZABLE's false conflicts between
 * tenants (docs/databases.md). A serialization failure (40001: CockroachDB
 * reports every conflict so) or deadlock (40P01) is transient, and store_tx
 * runs the body again.
 */
#include "store/store_driver.h"

#include <libpq-fe.h>
#include <poll.h>
#include <strings.h>

#include "core/log.h"
#include "core/xmalloc.h"

/* Type OIDs from PostgreSQL's pg_type.dat (stable across versions). */
#define OID_BOOL 16
#define OID_TIMESTAMP 1114
#define OID_TIMESTAMPTZ 1184

#define LOOKUP_STATEMENTS 8 /* distinct store_lookup statements; slipway has two */

struct pg_conn {
    PGconn *pg;
    unsigned named; /* statements prepared so far: their names */
    int64_t changes;
    struct {
        const char *sql; /* the caller's text, by address, as in store.c's cache */
        char name[16];
    } lookups[LOOKUP_STATEMENTS]; /* prepared on a lookup_batch connection */
    int nlookups;
    bool broken; /* a pipeline was left with answers unread: never use the connection again */
};

struct pg_stmt {
    struct pg_conn *conn;
    char name[16];
    int nparams;
    char **values; /* nparams owned copies; NULL binds NULL */
    PGresult *res;
    int row, nrows;
    bool ran;
    char (*times)[TIMESTAMP_SIZE]; /* per column: a timestamp reformatted for the current row */
};

static bool sqlstate_is(const char *state, const char *want)
{
    return state && strncmp(state, want, strlen(want)) == 0;
}

/* Maps a failed call (res may be NULL) to an error; the server's text goes to the log only. */
static enum err_code pg_error(struct pg_conn *c, const PGresult *res, const char *what, struct err *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg);

    if (sqlstate_is(state, "23505"))
        return err_set(err, ERR_CONFLICT, "already exists");
    if (sqlstate_is(state, "23503"))
        return err_set(err, ERR_CONFLICT, "still referenced, or refers to something missing");
    if (sqlstate_is(state, "40001") || sqlstate_is(state, "40P01") || sqlstate_is(state, "55P03")) {
        log_debug("postgres: %s: transient failure %s", what, state);
        err->transient = true;
        return err_set(err, ERR_UNAVAILABLE, "the database is busy; try again");
    }
    if (!state || sqlstate_is(state, "08") || sqlstate_is(state, "57P") || sqlstate_is(state, "53300") ||
        PQstatus(c->pg) != CONNECTION_OK) {
        log_warn("postgres: %s: the database is unavailable: %s", what, msg && *msg ? msg : "no answer");
        err->transient = true;
        return err_set(err, ERR_UNAVAILABLE, "the database is unavailable; try again");
    }
    if (sqlstate_is(state, "22")) {
        log_info("postgres: %s: value refused (%s): %s", what, state, msg);
        return err_set(err, ERR_INVALID, "a value does not fit its column");
    }
    log_error("postgres: %s failed (%s): %s", what, state, msg);
    return err_set(err, ERR_INTERNAL, "database error");
}

static bool result_ok(const PGresult *res)
{
    ExecStatusType s = PQresultStatus(res);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

static enum err_code pg_exec(void *conn, const char *sql, struct err *err)
{
    struct pg_conn *c = conn;
    PGresult *res = PQexec(c->pg, sql);
    enum err_code rc = ERR_OK;

    if (!res || !result_ok(res))
        rc = pg_error(c, res, "exec", err);
    PQclear(res);
    return rc;
}

/* Server notices ("already exists, skipping") go to the debug log, not to stderr. */
static void pg_notice(void *arg, const char *message)
{
    UNUSED(arg);
    log_debug("postgres: %.*s", (int)strcspn(message, "\n"), message);
}

static enum err_code pg_connect(const char *url, const struct store_options *opt, void **out, struct err *err)
{
    char timeout[16];
    /* connect_timeout comes first, so a value in the URL wins over ours. */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {timeout, "slipway", url, NULL};
    struct pg_conn *c = xcalloc(1, sizeof *c);

    snprintf(timeout, sizeof timeout, "%d", opt->connect_timeout > 0 ? opt->connect_timeout : 5);
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        /* libpq's message names host and port, never the password. */
        log_warn("postgres: cannot connect: %s", c->pg ? PQerrorMessage(c->pg) : "out of memory");
        PQfinish(c->pg);
        free(c);
        err->transient = true;
        return err_set(err, ERR_UNAVAILABLE, "cannot connect to the database");
    }
    PQsetNoticeProcessor(c->pg, pg_notice, NULL);
    if (pg_exec(c, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'", err)) {
        PQfinish(c->pg);
        free(c);
        return err->code;
    }
    /*
     * Every statement is a lookup by parameters: plan it once per connection
     * rather than again at each execution (a custom plan of the auth join
     * costs more than running it). A server without the setting (CockroachDB
     * before 23.2) keeps its default: the error is not one.
     */
    PGresult *res = PQexec(c->pg, "SET plan_cache_mode = force_generic_plan");
    if (!res || !result_ok(res))
        log_debug("postgres: plan_cache_mode not set; the server plans as it likes");
    PQclear(res);
    *out = c;
    return ERR_OK;
}

/* CockroachDB names itself in version() ("CockroachDB CCL v24.3.1 ..."); PostgreSQL says "PostgreSQL 15.10 ...". */
static bool pg_scatters_keys(void *conn)
{
    struct pg_conn *c = conn;
    PGresult *res = PQexec(c->pg, "SELECT version()");
    bool cockroach = res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
                     strstr(PQgetvalue(res, 0, 0), "CockroachDB") != NULL;

    PQclear(res);
    return cockroach;
}

static void pg_disconnect(void *conn)
{
    struct pg_conn *c = conn;
    PQfinish(c->pg);
    free(c);
}

/* Copies sql with each "?" outside quotes and comments replaced by $n; *n gets the count. */
static char *rewrite_placeholders(const char *sql, int *n)
{
    size_t len = strlen(sql), o = 0;
    char *out = xmalloc(len * 4 + 1); /* "?" -> "$NNN" at most quadruples it */
    char quote = 0;

    *n = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = sql[i];
        if (quote) {
            if (ch == quote)
                quote = 0;
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
        } else if (ch == '-' && sql[i + 1] == '-') {
            quote = '\n';
        } else if (ch == '?') {
            o += (size_t)snprintf(out + o, 5, "$%d", ++*n);
            continue;
        }
        out[o++] = ch;
    }
    out[o] = '\0';
    return out;
}

static enum err_code pg_prepare(void *conn, const char *sql, void **stmt, struct err *err)
{
    struct pg_conn *c = conn;
    struct pg_stmt *st = xcalloc(1, sizeof *st);
    char *text = rewrite_placeholders(sql, &st->nparams);
    PGresult *res;

    snprintf(st->name, sizeof st->name, "s%u", c->named++);
    res = PQprepare(c->pg, st->name, text, 0, NULL);
    free(text);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        enum err_code rc = pg_error(c, res, "prepare", err);
        PQclear(res);
        free(st);
        return rc;
    }
    PQclear(res);
    st->conn = c;
    st->values = xcalloc((size_t)st->nparams + 1, sizeof *st->values);
    *stmt = st;
    return ERR_OK;
}

static void pg_reset(void *stmt)
{
    struct pg_stmt *st = stmt;

    PQclear(st->res);
    st->res = NULL;
    free(st->times);
    st->times = NULL;
    st->ran = false;
    st->row = st->nrows = 0;
    for (int i = 0; i < st->nparams; i++) {
        free(st->values[i]);
        st->values[i] = NULL;
    }
}

/* The server-side statement goes with its connection: the cache rarely evicts, and a dead connection can't be told. */
static void pg_finalize(void *stmt)
{
    struct pg_stmt *st = stmt;
    pg_reset(st);
    free(st->values);
    free(st);
}

/* A parameter as the text PostgreSQL reads it (num holds a number's), or NULL for NULL. */
static const char *param_text(const struct store_val *v, char num[24])
{
    switch (v->kind) {
    case STORE_V_TEXT:
    case STORE_V_TIME:
        return v->s;
    case STORE_V_INT:
    case STORE_V_BOOL: /* '1' and '0' read as booleans and as integers alike */
        snprintf(num, 24, "%lld", (long long)v->i);
        return num;
    case STORE_V_NULL:
        break;
    }
    return NULL;
}

static enum err_code pg_bind(void *conn, void *stmt, int idx, const struct store_val *in, struct err *err)
{
    struct pg_stmt *st = stmt;
    const char *v;
    char num[24];

    UNUSED(conn);
    if (idx < 1 || idx > st->nparams) {
        log_error("postgres: parameter %d of a statement with %d", idx, st->nparams);
        return err_set(err, ERR_INTERNAL, "database error");
    }
    free(st->values[idx - 1]);
    v = param_text(in, num);
    st->values[idx - 1] = v ? xstrdup(v) : NULL;
    return ERR_OK;
}

static int pg_next(void *conn, void *stmt, struct err *err)
{
    struct pg_conn *c = conn;
    struct pg_stmt *st = stmt;

    if (!st->ran) {
        const char *cmd;
        st->ran = true;
        st->res = PQexecPrepared(c->pg, st->name, st->nparams, (const char *const *)st->values, NULL, NULL, 0);
        if (!st->res || !result_ok(st->res)) {
            pg_error(c, st->res, "statement", err);
            pg_reset(st);
            return -1;
        }
        st->nrows = PQntuples(st->res);
        st->row = -1;
        cmd = PQcmdTuples(st->res);
        c->changes = cmd && *cmd ? strtoll(cmd, NULL, 10) : 0;
        if (PQnfields(st->res) > 0)
            st->times = xcalloc((size_t)PQnfields(st->res), sizeof *st->times);
    }
    if (st->row + 1 >= st->nrows)
        return 0;
    st->row++;
    return 1;
}

static int64_t pg_changes(void *conn)
{
    return ((struct pg_conn *)conn)->changes;
}

/* A result's value as slipway reads it: booleans 1/0, timestamps in its form (into time), NULL for NULL. */
static const char *value_text(const PGresult *res, int row, int col, char time[TIMESTAMP_SIZE])
{
    const char *v;

    if (PQgetisnull(res, row, col))
        return NULL;
    v = PQgetvalue(res, row, col);
    switch (PQftype(res, col)) {
    case OID_BOOL:
        return *v == 't' ? "1" : "0";
    case OID_TIMESTAMP:
    case OID_TIMESTAMPTZ:
        store_time_from_sql(v, time);
        return time;
    default:
        return v;
    }
}

static const char *pg_col_text(void *stmt, int col)
{
    struct pg_stmt *st = stmt;
    return value_text(st->res, st->row, col, st->times[col]);
}

static int64_t pg_col_int(void *stmt, int col)
{
    struct pg_stmt *st = stmt;
    const char *v;

    if (PQgetisnull(st->res, st->row, col))
        return 0;
    v = PQgetvalue(st->res, st->row, col);
    if (PQftype(st->res, col) == OID_BOOL)
        return *v == 't';
    return strtoll(v, NULL, 10);
}

static bool pg_col_null(void *stmt, int col)
{
    struct pg_stmt *st = stmt;
    return PQgetisnull(st->res, st->row, col) != 0;
}

static int pg_col_index(void *stmt, const char *name)
{
    struct pg_stmt *st = stmt;
    for (int i = 0; i < PQnfields(st->res); i++)
        if (strcasecmp(PQfname(st->res, i), name) == 0)
            return i;
    return -1;
}

/*
 * An idle connection the server has closed (a restart, an idle timeout)
 * has something to read: the server's goodbye, or end of file. Reading it
 * tells libpq, which then reports the connection bad.
 */
static bool pg_alive(void *conn)
{
    struct pg_conn *c = conn;
    struct pollfd p = {.fd = PQsocket(c->pg), .events = POLLIN};

    if (c->broken || PQstatus(c->pg) != CONNECTION_OK || p.fd < 0)
        return false;
    if (poll(&p, 1, 0) > 0 && (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK))
        return false;
    return PQtransactionStatus(c->pg) != PQTRANS_UNKNOWN;
}

/* The name sql is prepared under on this lookup connection, preparing it the first time; NULL on failure. */
static const char *lookup_statement(struct pg_conn *c, const char *sql, struct store_lookup_item *item)
{
    PGresult *res;
    char *text;
    int nparams;

    for (int i = 0; i < c->nlookups; i++)
        if (c->lookups[i].sql == sql)
            return c->lookups[i].name;
    if (c->nlookups == LOOKUP_STATEMENTS) {
        log_error("postgres: more than %d statements go through store_lookup", LOOKUP_STATEMENTS);
        item->err.transient = false;
        err_set(&item->err, ERR_INTERNAL, "database error");
        return NULL;
    }
    snprintf(c->lookups[c->nlookups].name, sizeof c->lookups[c->nlookups].name, "l%d", c->nlookups);
    text = rewrite_placeholders(sql, &nparams);
    res = PQprepare(c->pg, c->lookups[c->nlookups].name, text, 0, NULL);
    free(text);
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        err_clear(&item->err);
        pg_error(c, res, "prepare", &item->err);
        PQclear(res);
        return NULL;
    }
    PQclear(res);
    c->lookups[c->nlookups].sql = sql;
    return c->lookups[c->nlookups++].name;
}

/* Copies the first row of a lookup's result into its item. */
static void lookup_result(struct pg_conn *c, PGresult *res, struct store_lookup_item *item)
{
    char time[TIMESTAMP_SIZE];

    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_error(c, res, "lookup", &item->err);
        item->rc = -1;
        return;
    }
    item->rc = PQntuples(res) > 0;
    for (int i = 0; item->rc == 1 && i < item->ncols; i++)
        if (i >= PQnfields(res) || !store_row_add(item->row, value_text(res, 0, i, time))) {
            log_error("postgres: a lookup's row does not fit (%d columns asked)", item->ncols);
            err_set(&item->err, ERR_INTERNAL, "database error");
            item->rc = -1;
        }
}

/*
 * Sends every read, then one Sync, in one write (pipeline mode), and reads
 * the answers in order. Each read is its own implicit transaction up to the
 * Sync; if one fails, PostgreSQL skips the rest (PGRES_PIPELINE_ABORTED),
 * and those stay failed, transiently, as they came (store_driver.h).
 */
static void pg_lookup_batch(void *conn, struct store_lookup_item *const *items, size_t n)
{
    struct pg_conn *c = conn;
    const char *names[STORE_LOOKUP_BATCH];
    bool sent[STORE_LOOKUP_BATCH] = {false};
    PGresult *res;

    for (size_t i = 0; i < n; i++)
        names[i] = lookup_statement(c, items[i]->sql, items[i]);
    if (!PQenterPipelineMode(c->pg))
        return;
    for (size_t i = 0; i < n; i++) {
        const char *values[STORE_ROW_COLUMNS];
        char nums[STORE_ROW_COLUMNS][24];
        if (!names[i] || items[i]->nargs > STORE_ROW_COLUMNS)
            continue;
        for (size_t k = 0; k < items[i]->nargs; k++)
            values[k] = param_text(&items[i]->args[k], nums[k]);
        if (!(sent[i] = PQsendQueryPrepared(c->pg, names[i], (int)items[i]->nargs, values, NULL, NULL, 0)))
            break;
    }
    if (PQpipelineSync(c->pg)) {
        for (size_t i = 0; i < n; i++) {
            if (!sent[i])
                continue;
            if (!(res = PQgetResult(c->pg)))
                break; /* the connection is gone: the rest stay failed */
            if (PQresultStatus(res) != PGRES_PIPELINE_ABORTED) {
                err_clear(&items[i]->err);
                lookup_result(c, res, items[i]);
            }
            PQclear(res);
            PQclear(PQgetResult(c->pg)); /* the NULL that ends this read's results */
        }
        res = PQgetResult(c->pg);
        if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC)
            log_warn("postgres: a lookup pipeline ended without its Sync: %s", PQerrorMessage(c->pg));
        PQclear(res);
    }
    if (!PQexitPipelineMode(c->pg)) {
        log_warn("postgres: cannot leave pipeline mode: %s", PQerrorMessage(c->pg));
        c->broken = true; /* its next answers would be taken for the next batch's */
    }
}

const struct store_driver store_driver_postgres = {
    .schemes = {"postgres", "postgresql"},
    .dialect = STORE_POSTGRES,
    .begin_sql = "BEGIN ISOLATION LEVEL READ COMMITTED",
    .url_whole = true,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .bind = pg_bind,
    .next = pg_next,
    .reset = pg_reset,
    .changes = pg_changes,
    .col_text = pg_col_text,
    .col_int = pg_col_int,
    .col_null = pg_col_null,
    .col_index = pg_col_index,
    .exec = pg_exec,
    .alive = pg_alive,
    .scatters_keys = pg_scatters_keys,
    .lookup_batch = pg_lookup_batch,
};
