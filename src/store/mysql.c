/*
 * mysql.c: the MySQL/MariaDB driver (libmariadb, MariaDB Connector/C).
 *
 * Server-side prepared statements ("?" is MySQL's own placeholder), one
 * per cached statement per connection. Every result column is fetched as
 * text into a buffer that grows to fit; a whole result is buffered on the
 * client (mysql_stmt_store_result) so the connection is free again at once.
 * DATETIME columns read back in slipway's timestamp form, and STORE_TIME
 * values are bound as DATETIME, because MySQL refuses the "Z" of RFC 3339.
 *
 * Sessions run READ COMMITTED (as on PostgreSQL: tenant_tx orders a
 * tenant's writes) with a short lock wait, in UTC, in utf8mb4, and with
 * CLIENT_FOUND_ROWS so that an UPDATE reports the rows it matched (as
 * SQLite and PostgreSQL do), not only the ones whose values changed:
 * compare-and-swap updates depend on it. A deadlock (1213), a lock wait
 * timeout (1205) or SQLSTATE 40001 is transient: store_tx runs the
 * transaction again.
 */
/* Before anything of ours: MariaDB's headers use functions common.h poisons. */
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "store/store_driver.h"

#include <poll.h>
#include <strings.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"

#define COL_INITIAL 256

#define SESSION_SQL                                                                                                                \
    "SET SESSION time_zone = '+00:00', SESSION innodb_lock_wait_timeout = 5, "                                                     \
    "SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"

struct my_conn {
    MYSQL *my;
    bool dead; /* a call lost the server */
    int64_t changes;
};

struct my_col {
    char *buf;
    unsigned long cap, len;
    my_bool null, error;
    bool is_time;
    char time[TIMESTAMP_SIZE];
};

struct my_stmt {
    MYSQL_STMT *st;
    int nparams, ncols;
    MYSQL_BIND *params;
    char **owned;      /* nparams: copies of bound text */
    MYSQL_TIME *times; /* nparams: bound DATETIME values */
    long long *ints;   /* nparams */
    MYSQL_BIND *results;
    struct my_col *cols;
    bool ran;
    bool rebind; /* a column's buffer grew: bind the results again before the next fetch */
};

static bool lost(unsigned code)
{
    return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST || code == CR_CONN_HOST_ERROR || code == CR_CONNECTION_ERROR ||
           code == ER_SERVER_SHUTDOWN || code == ER_CONNECTION_KILLED;
}

/* Maps an error code and SQLSTATE to an error; the server's text goes to the log only. */
static enum err_code my_error(struct my_conn *c, unsigned code, const char *state, const char *msg, const char *what,
                              struct err *err)
{
    if (code == ER_DUP_ENTRY || code == ER_DUP_KEY)
        return err_set(err, ERR_CONFLICT, "already exists");
    if (code == ER_ROW_IS_REFERENCED_2 || code == ER_NO_REFERENCED_ROW_2 || code == ER_ROW_IS_REFERENCED ||
        code == ER_NO_REFERENCED_ROW)
        return err_set(err, ERR_CONFLICT, "still referenced, or refers to something missing");
    if (code == ER_LOCK_DEADLOCK || code == ER_LOCK_WAIT_TIMEOUT || (state && strcmp(state, "40001") == 0)) {
        log_debug("mysql: %s: transient failure %u", what, code);
        err->transient = true;
        return err_set(err, ERR_UNAVAILABLE, "the database is busy; try again");
    }
    if (lost(code) || code == ER_CON_COUNT_ERROR) {
        c->dead = lost(code);
        log_warn("mysql: %s: the database is unavailable: %s (%u)", what, msg, code);
        err->transient = true;
        return err_set(err, ERR_UNAVAILABLE, "the database is unavailable; try again");
    }
    if (state && strncmp(state, "22", 2) == 0) {
        log_info("mysql: %s: value refused (%u): %s", what, code, msg);
        return err_set(err, ERR_INVALID, "a value does not fit its column");
    }
    log_error("mysql: %s failed (%u, %s): %s", what, code, state ? state : "?", msg);
    return err_set(err, ERR_INTERNAL, "database error");
}

static enum err_code conn_error(struct my_conn *c, const char *what, struct err *err)
{
    return my_error(c, mysql_errno(c->my), mysql_sqlstate(c->my), mysql_error(c->my), what, err);
}

static enum err_code stmt_error(struct my_conn *c, struct my_stmt *s, const char *what, struct err *err)
{
    return my_error(c, mysql_stmt_errno(s->st), mysql_stmt_sqlstate(s->st), mysql_stmt_error(s->st), what, err);
}

static enum err_code my_exec(void *conn, const char *sql, struct err *err)
{
    struct my_conn *c = conn;
    MYSQL_RES *res;

    if (mysql_real_query(c->my, sql, (unsigned long)strlen(sql)) != 0)
        return conn_error(c, "exec", err);
    res = mysql_store_result(c->my);
    mysql_free_result(res);
    return ERR_OK;
}

/*
 * The parts of mysql://user:password@host:port/database?key=value&...
 * (user and password percent-decoded). Query keys: ssl-mode (DISABLED,
 * PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY), ssl-ca, ssl-cert,
 * ssl-key, socket.
 */
struct my_url {
    char buf[1024];
    char *user, *password, *host, *database, *socket;
    char *ssl_mode, *ssl_ca, *ssl_cert, *ssl_key;
    unsigned port;
};

static int hex_digit(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

static void pct_decode(char *s)
{
    char *o = s;
    for (; *s; s++) {
        int hi, lo;
        if (*s == '%' && (hi = hex_digit(s[1])) >= 0 && (lo = hex_digit(s[2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            s += 2;
            continue;
        }
        *o++ = *s;
    }
    *o = '\0';
}

static int url_parse(const char *target, struct my_url *u)
{
    char *p, *at, *slash, *query, *colon;

    memset(u, 0, sizeof *u);
    if (snprintf(u->buf, sizeof u->buf, "%s", target) >= (int)sizeof u->buf)
        return -1;
    p = u->buf;
    query = strchr(p, '?');
    if (query)
        *query++ = '\0';
    slash = strchr(p, '/');
    if (slash) {
        *slash = '\0';
        u->database = slash + 1;
    }
    at = strrchr(p, '@');
    if (at) {
        *at = '\0';
        u->user = p;
        colon = strchr(p, ':');
        if (colon) {
            *colon = '\0';
            u->password = colon + 1;
            pct_decode(u->password);
        }
        pct_decode(u->user);
        p = at + 1;
    }
    u->host = p;
    colon = strrchr(p, ':');
    if (colon) {
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (*end || port <= 0 || port > 65535)
            return -1;
        *colon = '\0';
        u->port = (unsigned)port;
    }
    for (char *kv = query; kv && *kv;) {
        char *next = strchr(kv, '&'), *eq;
        if (next)
            *next++ = '\0';
        eq = strchr(kv, '=');
        if (!eq)
            return -1;
        *eq++ = '\0';
        pct_decode(eq);
        if (strcmp(kv, "ssl-mode") == 0)
            u->ssl_mode = eq;
        else if (strcmp(kv, "ssl-ca") == 0)
            u->ssl_ca = eq;
        else if (strcmp(kv, "ssl-cert") == 0)
            u->ssl_cert = eq;
        else if (strcmp(kv, "ssl-key") == 0)
            u->ssl_key = eq;
        else if (strcmp(kv, "socket") == 0)
            u->socket = eq;
        else
            return -1;
        kv = next;
    }
    return u->database && *u->database && *u->host ? 0 : -1;
}

static int tls_options(MYSQL *my, const struct my_url *u)
{
    my_bool on = 1, off = 0;

    if (u->ssl_ca)
        mysql_optionsv(my, MYSQL_OPT_SSL_CA, u->ssl_ca);
    if (u->ssl_cert)
        mysql_optionsv(my, MYSQL_OPT_SSL_CERT, u->ssl_cert);
    if (u->ssl_key)
        mysql_optionsv(my, MYSQL_OPT_SSL_KEY, u->ssl_key);
    if (!u->ssl_mode || strcmp(u->ssl_mode, "PREFERRED") == 0 || strcmp(u->ssl_mode, "DISABLED") == 0)
        return 0;
    if (strcmp(u->ssl_mode, "REQUIRED") == 0) {
        mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &on);
        mysql_optionsv(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off);
        return 0;
    }
    if (strcmp(u->ssl_mode, "VERIFY_CA") == 0 || strcmp(u->ssl_mode, "VERIFY_IDENTITY") == 0) {
        mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &on);
        mysql_optionsv(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
        return 0;
    }
    return -1;
}

static enum err_code my_connect(const char *target, const struct store_options *opt, void **out, struct err *err)
{
    struct my_url u;
    unsigned timeout = opt->connect_timeout > 0 ? (unsigned)opt->connect_timeout : 5;
    struct my_conn *c;

    if (url_parse(target, &u))
        return err_set(err, ERR_INVALID,
                       "mysql:// URL must look like mysql://user:password@host:port/database"
                       "[?ssl-mode=REQUIRED&ssl-ca=FILE&ssl-cert=FILE&ssl-key=FILE&socket=PATH]");
    c = xcalloc(1, sizeof *c);
    c->my = mysql_init(NULL);
    mysql_optionsv(c->my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(c->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (tls_options(c->my, &u)) {
        mysql_close(c->my);
        free(c);
        return err_set(err, ERR_INVALID, "ssl-mode must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY");
    }
    if (!mysql_real_connect(c->my, u.host, u.user, u.password, u.database, u.port, u.socket, CLIENT_FOUND_ROWS)) {
        log_warn("mysql: cannot connect: %s (%u)", mysql_error(c->my), mysql_errno(c->my));
        mysql_close(c->my);
        free(c);
        hash_cleanse(u.buf, sizeof u.buf);
        err->transient = true;
        return err_set(err, ERR_UNAVAILABLE, "cannot connect to the database");
    }
    hash_cleanse(u.buf, sizeof u.buf);
    /* The level by statement: MariaDB 10 knows tx_isolation, MySQL 8 only transaction_isolation. */
    if (my_exec(c, SESSION_SQL, err) || my_exec(c, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", err)) {
        mysql_close(c->my);
        free(c);
        return err->code;
    }
    *out = c;
    return ERR_OK;
}

static void my_disconnect(void *conn)
{
    struct my_conn *c = conn;
    mysql_close(c->my);
    free(c);
}

static enum err_code my_prepare(void *conn, const char *sql, void **stmt, struct err *err)
{
    struct my_conn *c = conn;
    struct my_stmt *s = xcalloc(1, sizeof *s);
    MYSQL_RES *meta;

    s->st = mysql_stmt_init(c->my);
    if (!s->st) {
        free(s);
        return conn_error(c, "prepare", err);
    }
    if (mysql_stmt_prepare(s->st, sql, (unsigned long)strlen(sql)) != 0) {
        enum err_code rc = stmt_error(c, s, "prepare", err);
        mysql_stmt_close(s->st);
        free(s);
        return rc;
    }
    s->nparams = (int)mysql_stmt_param_count(s->st);
    s->params = xcalloc((size_t)s->nparams + 1, sizeof *s->params);
    s->owned = xcalloc((size_t)s->nparams + 1, sizeof *s->owned);
    s->times = xcalloc((size_t)s->nparams + 1, sizeof *s->times);
    s->ints = xcalloc((size_t)s->nparams + 1, sizeof *s->ints);
    for (int i = 0; i < s->nparams; i++)
        s->params[i].buffer_type = MYSQL_TYPE_NULL;
    meta = mysql_stmt_result_metadata(s->st);
    if (meta) {
        MYSQL_FIELD *fields = mysql_fetch_fields(meta);
        s->ncols = (int)mysql_num_fields(meta);
        s->results = xcalloc((size_t)s->ncols, sizeof *s->results);
        s->cols = xcalloc((size_t)s->ncols, sizeof *s->cols);
        for (int i = 0; i < s->ncols; i++) {
            struct my_col *col = &s->cols[i];
            col->cap = COL_INITIAL;
            col->buf = xmalloc(col->cap);
            col->is_time = fields[i].type == MYSQL_TYPE_DATETIME || fields[i].type == MYSQL_TYPE_TIMESTAMP;
            s->results[i].buffer_type = MYSQL_TYPE_STRING;
            s->results[i].buffer = col->buf;
            s->results[i].buffer_length = col->cap - 1;
            s->results[i].length = &col->len;
            s->results[i].is_null = &col->null;
            s->results[i].error = &col->error;
        }
        mysql_free_result(meta);
    }
    *stmt = s;
    return ERR_OK;
}

static void my_reset(void *stmt)
{
    struct my_stmt *s = stmt;

    if (s->ran)
        mysql_stmt_free_result(s->st);
    s->ran = false;
    for (int i = 0; i < s->nparams; i++) {
        free(s->owned[i]);
        s->owned[i] = NULL;
        memset(&s->params[i], 0, sizeof s->params[i]);
        s->params[i].buffer_type = MYSQL_TYPE_NULL;
    }
}

static void my_finalize(void *stmt)
{
    struct my_stmt *s = stmt;

    my_reset(s);
    mysql_stmt_close(s->st);
    for (int i = 0; i < s->ncols; i++)
        free(s->cols[i].buf);
    free(s->cols);
    free(s->results);
    free(s->params);
    free(s->owned);
    free(s->times);
    free(s->ints);
    free(s);
}

/* slipway's timestamp text as a DATETIME(3) value; -1 when it is not one. */
static int time_bind(const char *text, MYSQL_TIME *t)
{
    int64_t ms;
    time_t secs;
    struct tm tm;

    if (clock_parse(text, &ms))
        return -1;
    secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    if (!gmtime_r(&secs, &tm))
        return -1;
    memset(t, 0, sizeof *t);
    t->year = (unsigned)tm.tm_year + 1900;
    t->month = (unsigned)tm.tm_mon + 1;
    t->day = (unsigned)tm.tm_mday;
    t->hour = (unsigned)tm.tm_hour;
    t->minute = (unsigned)tm.tm_min;
    t->second = (unsigned)tm.tm_sec;
    t->second_part = (unsigned long)(ms - (int64_t)secs * 1000) * 1000;
    t->time_type = MYSQL_TIMESTAMP_DATETIME;
    return 0;
}

static enum err_code my_bind(void *conn, void *stmt, int idx, const struct store_val *v, struct err *err)
{
    struct my_stmt *s = stmt;
    MYSQL_BIND *b;

    UNUSED(conn);
    if (idx < 1 || idx > s->nparams) {
        log_error("mysql: parameter %d of a statement with %d", idx, s->nparams);
        return err_set(err, ERR_INTERNAL, "database error");
    }
    b = &s->params[idx - 1];
    free(s->owned[idx - 1]);
    s->owned[idx - 1] = NULL;
    memset(b, 0, sizeof *b);
    b->buffer_type = MYSQL_TYPE_NULL;
    if ((v->kind == STORE_V_TEXT || v->kind == STORE_V_TIME) && !v->s)
        return ERR_OK;
    switch (v->kind) {
    case STORE_V_TEXT:
        s->owned[idx - 1] = xstrdup(v->s);
        b->buffer_type = MYSQL_TYPE_STRING;
        b->buffer = s->owned[idx - 1];
        b->buffer_length = (unsigned long)strlen(v->s);
        break;
    case STORE_V_TIME:
        if (time_bind(v->s, &s->times[idx - 1]))
            return err_set(err, ERR_INVALID, "a value does not fit its column");
        b->buffer_type = MYSQL_TYPE_DATETIME;
        b->buffer = &s->times[idx - 1];
        break;
    case STORE_V_INT:
    case STORE_V_BOOL:
        s->ints[idx - 1] = (long long)v->i;
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->buffer = &s->ints[idx - 1];
        break;
    case STORE_V_NULL:
        break;
    }
    return ERR_OK;
}

/* Refetches the columns whose text did not fit, into buffers grown to fit. */
static int refetch_truncated(struct my_stmt *s)
{
    for (int i = 0; i < s->ncols; i++) {
        struct my_col *col = &s->cols[i];
        if (!col->error || col->len < col->cap - 1)
            continue;
        col->cap = col->len + 1;
        col->buf = xrealloc(col->buf, col->cap);
        s->results[i].buffer = col->buf;
        s->results[i].buffer_length = col->cap - 1;
        s->rebind = true;
        if (mysql_stmt_fetch_column(s->st, &s->results[i], (unsigned)i, 0) != 0)
            return -1;
    }
    return 0;
}

static int my_next(void *conn, void *stmt, struct err *err)
{
    struct my_conn *c = conn;
    struct my_stmt *s = stmt;
    int rc;

    if (!s->ran) {
        if ((s->nparams > 0 && mysql_stmt_bind_param(s->st, s->params)) || mysql_stmt_execute(s->st) ||
            (s->ncols > 0 && (mysql_stmt_bind_result(s->st, s->results) || mysql_stmt_store_result(s->st)))) {
            stmt_error(c, s, "statement", err);
            my_reset(s);
            return -1;
        }
        s->ran = true;
        c->changes = (int64_t)mysql_stmt_affected_rows(s->st);
        if (s->ncols == 0)
            return 0;
    }
    if (s->rebind) {
        mysql_stmt_bind_result(s->st, s->results);
        s->rebind = false;
    }
    rc = mysql_stmt_fetch(s->st);
    if (rc == MYSQL_NO_DATA)
        return 0;
    if (rc == MYSQL_DATA_TRUNCATED && refetch_truncated(s) == 0)
        rc = 0;
    if (rc != 0) {
        stmt_error(c, s, "fetch", err);
        my_reset(s);
        return -1;
    }
    for (int i = 0; i < s->ncols; i++) {
        struct my_col *col = &s->cols[i];
        if (!col->null) {
            col->buf[col->len < col->cap ? col->len : col->cap - 1] = '\0';
            if (col->is_time)
                store_time_from_sql(col->buf, col->time);
        }
    }
    return 1;
}

static int64_t my_changes(void *conn)
{
    return ((struct my_conn *)conn)->changes;
}

static const char *my_col_text(void *stmt, int col)
{
    struct my_stmt *s = stmt;
    struct my_col *c = &s->cols[col];

    if (c->null)
        return NULL;
    return c->is_time ? c->time : c->buf;
}

static int64_t my_col_int(void *stmt, int col)
{
    const char *v = my_col_text(stmt, col);
    return v ? strtoll(v, NULL, 10) : 0;
}

static bool my_col_null(void *stmt, int col)
{
    return ((struct my_stmt *)stmt)->cols[col].null != 0;
}

static int my_col_index(void *stmt, const char *name)
{
    MYSQL_RES *meta = mysql_stmt_result_metadata(((struct my_stmt *)stmt)->st);
    int found = -1;

    for (unsigned i = 0; meta && found < 0 && i < mysql_num_fields(meta); i++)
        if (strcasecmp(mysql_fetch_field_direct(meta, i)->name, name) == 0)
            found = (int)i;
    mysql_free_result(meta);
    return found;
}

/* An idle connection has nothing to read unless the server closed it (or is about to). */
static bool my_alive(void *conn)
{
    struct my_conn *c = conn;
    struct pollfd p = {.fd = (int)mysql_get_socket(c->my), .events = POLLIN};

    if (c->dead || p.fd < 0)
        return false;
    return poll(&p, 1, 0) == 0;
}

const struct store_driver store_driver_mysql = {
    .schemes = {"mysql", "mariadb"},
    .dialect = STORE_MYSQL,
    .begin_sql = "START TRANSACTION",
    .connect = my_connect,
    .disconnect = my_disconnect,
    .prepare = my_prepare,
    .finalize = my_finalize,
    .bind = my_bind,
    .next = my_next,
    .reset = my_reset,
    .changes = my_changes,
    .col_text = my_col_text,
    .col_int = my_col_int,
    .col_null = my_col_null,
    .col_index = my_col_index,
    .exec = my_exec,
    .alive = my_alive,
};
