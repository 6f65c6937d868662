"""A small backend-neutral database client for the black-box tests.

One URL names a database on any backend slipway supports, as
SLIPWAY_DATABASE_URL does:
    sqlite://PATH                              (sqlite://./x.db, sqlite:///tmp/x.db)
    postgres://USER:PW@HOST:PORT/DB            (psycopg2, Debian's python3-psycopg2)
    mysql://USER:PW@HOST:PORT/DB               (pymysql, Debian's python3-pymysql)

    query(url, sql, params)    -> (column names, [row tuples])
    execute(url, sql, params)  -> rowcount, committed
    tables(url)                -> sorted base-table names
    dump(url)                  -> {table: sorted rows} of every base table
    createdb(admin_url, name)  -> URL of a fresh empty database; dropdb(admin_url, name)
    split_statements(text)     -> the statements of a migration file, as the C runner splits it
    apply_script(url, text)    -> runs them in order, each in its own transaction

SQL is written with `?` placeholders, rewritten to the driver's style.
Column names come back as the driver gives them: PostgreSQL folds unquoted
names to lower case, so compare them with names_equal() (or use row_dict()).
Values are normalized so one expectation fits every backend (normalize=False
gives the driver's own values):
    booleans -> 1 / 0 (as SQLite and MySQL store them)
    date-times -> "YYYY-MM-DDTHH:MM:SS.mmmZ" in UTC (as slipway writes them)
    UUIDs -> lower-case text; integral Decimals (MySQL's SUM) -> int
    PostgreSQL jsonb (parsed by psycopg2) -> compact JSON text
Run with /usr/bin/python3 (Debian's drivers live there); the PostgreSQL and
MySQL drivers are imported only when a URL needs them.
"""
import datetime
import decimal
import json
import os
import re
import sqlite3
import time
import urllib.parse
import uuid

CONNECT_TIMEOUT = 10  # seconds
BUSY_TIMEOUT = 15  # seconds SQLite waits for the server's write lock


class Url:
    """A parsed database URL: backend ('sqlite', 'postgres', 'mysql') and its parts."""

    def __init__(self, url):
        self.url = url
        scheme, sep, rest = url.partition("://")
        if not sep:
            raise ValueError("not a database URL: %r" % url)
        if scheme == "sqlite":
            self.backend, self.path = "sqlite", rest
            return
        if scheme in ("postgres", "postgresql"):
            self.backend = "postgres"
        elif scheme in ("mysql", "mariadb"):
            self.backend = "mysql"
        else:
            raise ValueError("unknown database scheme %r in %r" % (scheme, url))
        u = urllib.parse.urlsplit(url)
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or (5432 if self.backend == "postgres" else 3306)
        self.user = urllib.parse.unquote(u.username or "")
        self.password = urllib.parse.unquote(u.password or "")
        self.database = urllib.parse.unquote(u.path.lstrip("/"))
        self.query = u.query

    def with_database(self, name):
        """This server's URL for another database."""
        if self.backend == "sqlite":
            return "sqlite://" + os.path.join(self.path, name + ".db")
        u = urllib.parse.urlsplit(self.url)
        return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, ""))


def backend(url):
    return Url(url).backend


def connect(url):
    """A new DB-API connection (not autocommit); the caller closes it."""
    u = Url(url)
    if u.backend == "sqlite":
        conn = sqlite3.connect(u.path, timeout=BUSY_TIMEOUT)
        conn.execute("PRAGMA busy_timeout = %d" % (BUSY_TIMEOUT * 1000))
        conn.execute("PRAGMA foreign_keys = ON")
        return conn
    if u.backend == "postgres":
        import psycopg2
        return psycopg2.connect(host=u.host, port=u.port, user=u.user, password=u.password, dbname=u.database or "postgres",
                                connect_timeout=CONNECT_TIMEOUT, options="-c TimeZone=UTC")
    import pymysql
    return pymysql.connect(host=u.host, port=u.port, user=u.user, password=u.password, database=u.database or None,
                           charset="utf8mb4", autocommit=False, connect_timeout=CONNECT_TIMEOUT,
                           init_command="SET time_zone = '+00:00'")


# -- placeholders and values ---------------------------------------------------

def _placeholders(sql, style):
    """`?` outside quotes and -- comments -> style ('%s'); every literal % is doubled for the pyformat drivers."""
    out, state, i = [], None, 0
    while i < len(sql):
        ch = sql[i]
        if ch == "%":
            out.append("%%")
        elif state == "--":
            out.append(ch)
            if ch == "\n":
                state = None
        elif state:
            out.append(ch)
            if ch == state:
                state = None
        elif ch in ("'", '"', "`"):
            state = ch
            out.append(ch)
        elif sql.startswith("--", i):
            state = "--"
            out.append(ch)
        elif ch == "?":
            out.append(style)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _prepare(u, sql, params):
    params = tuple(params or ())
    if u.backend == "sqlite":
        return sql, params
    if not params:
        return sql, None  # no formatting pass: % stays as written
    return _placeholders(sql, "%s"), params


def _bind(value):
    """Times are bound as slipway binds them: RFC 3339 text, except MySQL needs no 'T'/'Z' (see _bind_mysql)."""
    if isinstance(value, datetime.datetime):
        return format_time(value)
    return value


_TS_RE = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d{1,6})?)Z$")


def _bind_mysql(value):
    """MariaDB refuses '...T...Z' for a DATETIME in strict mode: give it 'YYYY-MM-DD HH:MM:SS.mmm'."""
    value = _bind(value)
    if isinstance(value, str):
        m = _TS_RE.match(value)
        if m:
            return "%s %s" % (m.group(1), m.group(2))
    return value


def format_time(value):
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (value.microsecond // 1000)


def normalize_value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.datetime):
        return format_time(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return value


def names_equal(a, b):
    """Column names compare case-insensitively: PostgreSQL folds unquoted names to lower case."""
    return a.lower() == b.lower()


def row_dict(names, row):
    """{lower-cased column name: value} of one row."""
    return {n.lower(): v for n, v in zip(names, row)}


# -- statements ---------------------------------------------------------------

def _retryable(e):
    """A lost race with the server's own transactions, as a server's client would retry it: SQLite's lock,
    MySQL's deadlock (1213) and lock wait timeout (1205), PostgreSQL's deadlock (40P01) and serialization
    failure (40001)."""
    if isinstance(e, sqlite3.OperationalError):
        return "locked" in str(e)
    code = e.args[0] if e.args else None
    return code in (1205, 1213) or getattr(e, "pgcode", None) in ("40P01", "40001")


def _run(url, sql, params, fetch, normalize=True):
    u = Url(url)
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        conn = connect(url)
        try:
            cur = conn.cursor()
            text, args = _prepare(u, sql, params)
            if args is not None and u.backend == "mysql":
                args = tuple(_bind_mysql(v) for v in args)
            elif args is not None:
                args = tuple(_bind(v) for v in args)
            if args is None:
                cur.execute(text)
            else:
                cur.execute(text, args)
            if fetch:
                names = [d[0] for d in cur.description] if cur.description else []
                rows = [tuple(normalize_value(v) for v in r) if normalize else tuple(r) for r in cur.fetchall()]
                conn.rollback()  # end the read transaction the driver opened
                return names, rows
            count = cur.rowcount
            conn.commit()
            return count
        except Exception as e:  # noqa: BLE001 (each driver's own class; the test's statement is tried again)
            if not _retryable(e) or time.monotonic() > deadline:
                raise
        finally:
            conn.close()
        time.sleep(0.05)


def query(url, sql, params=(), normalize=True):
    """(column names as the driver gives them, [rows as tuples])."""
    return _run(url, sql, params, True, normalize)


def execute(url, sql, params=()):
    """One statement, committed; returns the driver's rowcount."""
    return _run(url, sql, params, False)


def split_statements(text):
    """The C migration runner's splitting contract.

    A statement ends at a `;` that is the last non-blank character of its
    line, outside single-quoted strings, outside $$ ... $$ blocks, and not in
    a -- comment. The `;` itself is dropped; chunks holding only comments and
    blanks are skipped.
    """
    statements, start, i, n = [], 0, 0, len(text)
    state = None  # None, "'", "$$", "--"
    while i < n:
        ch = text[i]
        if state == "'":
            if ch == "'":
                state = None
        elif state == "$$":
            if text.startswith("$$", i):
                state, i = None, i + 1
        elif state == "--":
            if ch == "\n":
                state = None
        elif ch == "'":
            state = "'"
        elif text.startswith("$$", i):
            state, i = "$$", i + 1
        elif text.startswith("--", i):
            state = "--"
        elif ch == ";":
            end = text.find("\n", i)
            end = n if end < 0 else end
            if not text[i + 1:end].strip():
                _keep(statements, text[start:i])
                start = i = end
                continue
        i += 1
    _keep(statements, text[start:])
    return statements


def _keep(statements, chunk):
    code = "\n".join(line for line in chunk.split("\n") if not line.strip().startswith("--"))
    if code.strip():
        statements.append(chunk.strip())


def apply_script(url, text):
    """Runs each statement of a migration file in its own transaction, in order (as the runner will)."""
    conn = connect(url)
    try:
        for statement in split_statements(text):
            cur = conn.cursor()
            try:
                cur.execute(statement)
            except Exception as e:
                conn.rollback()
                raise RuntimeError("%s\nin statement:\n%s" % (e, statement)) from e
            conn.commit()
    finally:
        conn.close()


# -- whole databases ------------------------------------------------------------

def tables(url):
    """Sorted names of the base tables (no views, no SQLite internals)."""
    u = Url(url)
    if u.backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    elif u.backend == "postgres":
        sql = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
               "AND table_type = 'BASE TABLE'")
    else:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
    return sorted(r[0] for r in query(url, sql)[1])


def _quote(u, name):
    return "`%s`" % name if u.backend == "mysql" else '"%s"' % name


def _sort_key(row):
    return [(v is None, type(v).__name__, str(v)) for v in row]


def dump(url, skip=()):
    """{table: sorted list of normalized rows} for every base table not in skip."""
    u = Url(url)
    return {t: sorted(query(url, "SELECT * FROM %s" % _quote(u, t))[1], key=_sort_key) for t in tables(url) if t not in skip}


def admin(admin_url, sql):
    """Runs one statement on the server of admin_url, outside a transaction (CREATE/DROP DATABASE)."""
    u = Url(admin_url)
    conn = connect(admin_url)
    try:
        if u.backend == "postgres":
            conn.autocommit = True
        conn.cursor().execute(sql)
        if u.backend != "postgres":
            conn.commit()
    finally:
        conn.close()


_NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,63}$")


def createdb(admin_url, name):
    """A fresh empty database NAME on the admin URL's server; returns its URL.

    For sqlite, admin_url names a directory (sqlite:///tmp/dir) and the
    database is the file NAME.db in it.
    """
    if not _NAME_RE.match(name):
        raise ValueError("database names are 1 to 63 of [A-Za-z0-9_], not %r" % name)
    u = Url(admin_url)
    if u.backend == "sqlite":
        url = u.with_database(name)
        dropdb(admin_url, name)
        sqlite3.connect(Url(url).path).close()
        return url
    if u.backend == "postgres":
        admin(admin_url, "CREATE DATABASE \"%s\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" % name)
    else:
        admin(admin_url, "CREATE DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" % name)
    return u.with_database(name)


def dropdb(admin_url, name):
    if not _NAME_RE.match(name):
        raise ValueError("database names are 1 to 63 of [A-Za-z0-9_], not %r" % name)
    u = Url(admin_url)
    if u.backend == "sqlite":
        path = Url(u.with_database(name)).path
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(path + suffix)
            except FileNotFoundError:
                pass
    elif u.backend == "postgres":
        admin(admin_url, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    else:
        admin(admin_url, "DROP DATABASE IF EXISTS `%s`" % name)
