/* Unit tests of the store (SQLite driver) and migrations, on real database files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "core/clock.h"
#include "store/migrate.h"
#include "store/store.h"
#include "store/store_driver.h"

static char dir[] = "/tmp/slipway-store-XXXXXX";
static int dbn;

static struct store *fresh(void)
{
    char url[256];
    struct store *s = NULL;
    struct err err;
    snprintf(url, sizeof url, "sqlite://%s/t%d.db", dir, dbn++);
    err_clear(&err);
    assert_int_equal(store_open(url, NULL, &s, &err), ERR_OK);
    return s;
}

static int64_t count(struct store *s, const char *sql)
{
    struct store_conn *c;
    struct store_stmt *st;
    struct err err;
    int64_t n = -1;
    err_clear(&err);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    assert_int_equal(store_select(c, sql, STORE_NO_ARGS, &st, &err), ERR_OK);
    if (store_next(st, &err) == 1)
        n = store_col_int(st, 0);
    store_finish(st);
    store_conn_put(c);
    return n;
}

static bool table_exists(struct store *s, const char *name)
{
    struct store_conn *c;
    struct store_stmt *st;
    struct err err;
    bool found;
    err_clear(&err);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    assert_int_equal(
        store_select(c, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", STORE_ARGS(STORE_TEXT(name)), &st, &err),
        ERR_OK);
    found = store_next(st, &err) == 1;
    store_finish(st);
    store_conn_put(c);
    return found;
}

static void test_statements(void **state)
{
    struct store *s = fresh();
    struct store_conn *c;
    struct store_stmt *st, *again;
    struct err err;
    int64_t changes = 0;
    (void)state;

    err_clear(&err);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    assert_int_equal(store_exec_script(c, "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, b BOOLEAN, x TEXT NULL);", &err),
                     ERR_OK);
    assert_int_equal(store_run(c, "INSERT INTO t (id, n, b, x) VALUES (?, ?, ?, ?)",
                               STORE_ARGS(STORE_TEXT("a"), STORE_INT(7), STORE_BOOL(true), STORE_NULL), &changes, &err),
                     ERR_OK);
    assert_int_equal(changes, 1);
    /* A duplicate key is a conflict, never an internal error. */
    assert_int_equal(store_run(c, "INSERT INTO t (id, n, b, x) VALUES (?, ?, ?, ?)",
                               STORE_ARGS(STORE_TEXT("a"), STORE_INT(8), STORE_BOOL(false), STORE_TEXT("y")), NULL, &err),
                     ERR_CONFLICT);
    static const char q[] = "SELECT id, n, b, x FROM t WHERE id = ?";
    assert_int_equal(store_select(c, q, STORE_ARGS(STORE_TEXT("a")), &st, &err), ERR_OK);
    assert_int_equal(store_next(st, &err), 1);
    assert_string_equal(store_col_text(st, 0), "a");
    assert_int_equal(store_col_int(st, 1), 7);
    assert_true(store_col_bool(st, 2));
    assert_true(store_col_null(st, 3));
    assert_null(store_col_text(st, 3));
    assert_int_equal(store_next(st, &err), 0);
    store_finish(st);
    /* The same SQL text is prepared once per connection and reused. */
    assert_int_equal(store_select(c, q, STORE_ARGS(STORE_TEXT("zz")), &again, &err), ERR_OK);
    assert_ptr_equal(st, again);
    assert_int_equal(store_next(again, &err), 0);
    store_finish(again);
    /* Bad SQL is an internal error whose text stays in the log. */
    assert_int_equal(store_run(c, "SELEKT nonsense", STORE_NO_ARGS, NULL, &err), ERR_INTERNAL);
    assert_null(strstr(err.message, "SELEKT"));
    store_conn_put(c);
    assert_int_equal(store_ping(s, &err), ERR_OK);
    store_close(s);
}

struct tx_ctx {
    const char *id; /* the row each attempt inserts */
    int attempts;
    int fail_first; /* attempts that fail with a transient error */
    bool fail_hard;
};

static enum err_code tx_body(struct store_conn *c, void *ctx, struct err *err)
{
    struct tx_ctx *t = ctx;
    t->attempts++;
    if (store_run(c, "INSERT INTO t (id) VALUES (?)", STORE_ARGS(STORE_TEXT(t->id)), NULL, err))
        return err->code;
    if (t->attempts <= t->fail_first) {
        err->transient = true;
        return err_set(err, ERR_UNAVAILABLE, "simulated serialization failure");
    }
    if (t->fail_hard)
        return err_set(err, ERR_CONFLICT, "the body refuses");
    return ERR_OK;
}

static void test_transactions(void **state)
{
    struct store *s = fresh();
    struct store_conn *c;
    struct err err;
    (void)state;

    err_clear(&err);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    assert_int_equal(store_exec_script(c, "CREATE TABLE t (id TEXT PRIMARY KEY);", &err), ERR_OK);
    /* A transient failure reruns the whole body; the earlier attempts left nothing behind. */
    struct tx_ctx retry = {.id = "x", .fail_first = 2};
    assert_int_equal(store_tx(c, tx_body, &retry, &err), ERR_OK);
    assert_int_equal(retry.attempts, 3);
    /* Any other failure rolls back at once. */
    struct tx_ctx hard = {.id = "hard", .fail_hard = true};
    assert_int_equal(store_tx(c, tx_body, &hard, &err), ERR_CONFLICT);
    assert_int_equal(hard.attempts, 1);
    store_conn_put(c);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM t"), 1);
    /* Endless transient failures give up. */
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    struct tx_ctx forever = {.id = "forever", .fail_first = 1000};
    assert_int_equal(store_tx(c, tx_body, &forever, &err), ERR_UNAVAILABLE);
    assert_true(forever.attempts > 1 && forever.attempts < 20);
    store_conn_put(c);
    store_close(s);
}

/* Reads every row of a query on c: 0 when all were read, else the error's code. */
static enum err_code read_all(struct store_conn *c, const char *sql)
{
    struct store_stmt *st;
    struct err err;
    int rc;

    err_clear(&err);
    if (store_select(c, sql, STORE_NO_ARGS, &st, &err))
        return err.code;
    while ((rc = store_next(st, &err)) == 1)
        ;
    store_finish(st);
    return rc < 0 ? err.code : ERR_OK;
}

static enum err_code guarded_tx_body(struct store_conn *c, void *ctx, struct err *err)
{
    enum err_code rc = read_all(c, ctx);
    return rc ? err_set(err, rc, "refused") : ERR_OK;
}

/* The tenant guard refuses a row of another tenant, on the connection and in its transactions; off, it does nothing. */
static void test_tenant_guard(void **state)
{
    static const char *const all = "SELECT id, tenantId FROM rows ORDER BY id";
    static const char *const mine = "SELECT id, TENANTID FROM rows WHERE tenantId = 'a'";
    static const char *const untagged = "SELECT id FROM rows";
    struct store_options on = {.tenant_guard = true};
    struct store *guarded = NULL, *plain = fresh();
    struct store_conn *c;
    struct err err;
    char url[256];
    (void)state;

    err_clear(&err);
    snprintf(url, sizeof url, "sqlite://%s/t%d.db", dir, dbn++);
    assert_int_equal(store_open(url, &on, &guarded, &err), ERR_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(store_conn_get(i ? plain : guarded, &c, &err), ERR_OK);
        assert_int_equal(store_exec_script(c,
                                           "CREATE TABLE rows (id TEXT PRIMARY KEY, tenantId TEXT);"
                                           "INSERT INTO rows VALUES ('1', 'a'), ('2', 'b'), ('3', NULL);",
                                           &err),
                         ERR_OK);
        store_conn_guard(c, "a");
        assert_int_equal(read_all(c, mine), ERR_OK);
        assert_int_equal(read_all(c, untagged), ERR_OK); /* no tenantId column: nothing to check */
        assert_int_equal(read_all(c, all), i ? ERR_OK : ERR_INTERNAL);
        assert_int_equal(store_tx(c, guarded_tx_body, (void *)all, &err), i ? ERR_OK : ERR_INTERNAL);
        store_conn_guard(c, NULL);
        assert_int_equal(read_all(c, all), ERR_OK);
        store_conn_guard(c, "a");
        store_conn_put(c); /* lifts the guard */
        assert_int_equal(store_conn_get(i ? plain : guarded, &c, &err), ERR_OK);
        assert_int_equal(read_all(c, all), ERR_OK);
        store_conn_put(c);
    }
    store_close(guarded);
    store_close(plain);
}

static const struct migration two[] = {
    {1, "first", "CREATE TABLE a (id TEXT PRIMARY KEY);", "DROP TABLE a;"},
    {2, "second", "CREATE TABLE b (id TEXT PRIMARY KEY); CREATE INDEX b_id ON b (id);", "DROP TABLE b;"},
};
static const struct migration_set set_two = {"sqlite", two, 2};

static void test_migrations_up_down_up(void **state)
{
    struct store *s = fresh();
    struct err err;
    int n = -1, pending = -1;
    (void)state;

    err_clear(&err);
    assert_int_equal(migrate_check(s, &set_two, &pending, &err), ERR_OK);
    assert_int_equal(pending, 2);
    assert_int_equal(migrate_up(s, &set_two, &n, &err), ERR_OK);
    assert_int_equal(n, 2);
    assert_true(table_exists(s, "a") && table_exists(s, "b"));
    assert_int_equal(migrate_up(s, &set_two, &n, &err), ERR_OK); /* idempotent */
    assert_int_equal(n, 0);
    assert_int_equal(migrate_down(s, &set_two, 1, &n, &err), ERR_OK);
    assert_int_equal(n, 1);
    assert_false(table_exists(s, "b"));
    assert_int_equal(migrate_check(s, &set_two, &pending, &err), ERR_OK);
    assert_int_equal(pending, 1);
    assert_int_equal(migrate_down(s, &set_two, 10, &n, &err), ERR_OK);
    assert_int_equal(n, 1);
    assert_false(table_exists(s, "a"));
    assert_int_equal(migrate_up(s, &set_two, &n, &err), ERR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM schema_migrations WHERE dirty = 0 AND length(checksum) = 64"), 2);

    FILE *out = tmpfile();
    assert_int_equal(migrate_status(s, &set_two, out, &err), ERR_OK);
    fclose(out);
    store_close(s);
}

static void test_embedded_migrations(void **state)
{
    struct store *s = fresh();
    const struct migration_set *set = migrate_set_for(s);
    struct err err;
    int n = 0;
    (void)state;

    err_clear(&err);
    assert_true(set->count >= 1);
    for (size_t i = 1; i < set->count; i++)
        assert_true(set->items[i].version > set->items[i - 1].version);
    assert_int_equal(migrate_up(s, set, &n, &err), ERR_OK);
    assert_int_equal(n, (int)set->count);
    assert_true(table_exists(s, "audit_logs"));
    assert_int_equal(migrate_down(s, set, (int)set->count, &n, &err), ERR_OK);
    assert_false(table_exists(s, "tenants"));
    assert_int_equal(
        count(s, "SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'schema_migrations%' AND name NOT LIKE 'sqlite_%'"), 0);
    assert_int_equal(migrate_up(s, set, &n, &err), ERR_OK);
    assert_int_equal(n, (int)set->count);
    store_close(s);
}

static void test_changed_migration_refused(void **state)
{
    struct store *s = fresh();
    struct err err;
    int pending;
    (void)state;
    const struct migration edited[] = {
        {1, "first", "CREATE TABLE a (id TEXT PRIMARY KEY, extra TEXT);", "DROP TABLE a;"},
        two[1],
    };
    const struct migration_set set_edited = {"sqlite", edited, 2};

    err_clear(&err);
    assert_int_equal(migrate_up(s, &set_two, NULL, &err), ERR_OK);
    assert_int_equal(migrate_up(s, &set_edited, NULL, &err), ERR_CONFLICT);
    assert_non_null(strstr(err.message, "changed"));
    assert_int_equal(migrate_check(s, &set_edited, &pending, &err), ERR_CONFLICT);
    /* A database migrated by a newer binary is refused too. */
    const struct migration_set older = {"sqlite", two, 1};
    assert_int_equal(migrate_check(s, &older, &pending, &err), ERR_CONFLICT);
    assert_non_null(strstr(err.message, "does not know"));
    store_close(s);
}

static void run_sql(struct store *s, const char *sql, const struct store_val *args, size_t n)
{
    struct store_conn *c;
    struct err err;
    err_clear(&err);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    assert_int_equal(store_run(c, sql, args, n, NULL, &err), ERR_OK);
    store_conn_put(c);
}

static void test_lease(void **state)
{
    struct store *s = fresh();
    struct err err;
    char future[TIMESTAMP_SIZE], past[TIMESTAMP_SIZE];
    (void)state;

    err_clear(&err);
    assert_int_equal(migrate_up(s, &set_two, NULL, &err), ERR_OK);                 /* creates the history tables */
    assert_int_equal(count(s, "SELECT COUNT(*) FROM schema_migrations_lease"), 0); /* released after use */
    assert_int_equal(migrate_down(s, &set_two, 1, NULL, &err), ERR_OK);
    clock_format(clock_now_ms() + 60000, future);
    run_sql(s, "INSERT INTO schema_migrations_lease (id, owner, expiresAt) VALUES (1, 'other-host:1:x', ?)",
            STORE_ARGS(STORE_TEXT(future)));
    assert_int_equal(migrate_up(s, &set_two, NULL, &err), ERR_CONFLICT);
    assert_non_null(strstr(err.message, "lease"));
    assert_false(table_exists(s, "b"));
    /* An expired lease is taken over. */
    clock_format(clock_now_ms() - 1000, past);
    run_sql(s, "UPDATE schema_migrations_lease SET expiresAt = ?", STORE_ARGS(STORE_TEXT(past)));
    assert_int_equal(migrate_up(s, &set_two, NULL, &err), ERR_OK);
    assert_true(table_exists(s, "b"));
    store_close(s);
}

static void test_dirty(void **state)
{
    struct store *s = fresh();
    struct err err;
    int n = 0, pending;
    (void)state;
    const struct migration broken[] = {two[0], {2, "second", "CREATE TABLE b (id TEXT); THIS IS NOT SQL;", "DROP TABLE b;"}};
    const struct migration_set set_broken = {"sqlite", broken, 2};

    err_clear(&err);
    assert_int_equal(migrate_up(s, &set_broken, &n, &err), ERR_INTERNAL);
    assert_int_equal(n, 1);
    assert_non_null(strstr(err.message, "dirty"));
    assert_false(table_exists(s, "b")); /* SQLite's DDL is transactional: nothing half-done */
    assert_int_equal(count(s, "SELECT COUNT(*) FROM schema_migrations WHERE dirty = 1"), 1);
    /* Blocked until repaired, even with the fixed file. */
    assert_int_equal(migrate_up(s, &set_two, &n, &err), ERR_CONFLICT);
    assert_int_equal(migrate_check(s, &set_two, &pending, &err), ERR_CONFLICT);
    assert_int_equal(migrate_repair(s, &n, &err), ERR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(migrate_up(s, &set_two, &n, &err), ERR_OK);
    assert_int_equal(n, 1);
    assert_true(table_exists(s, "b"));
    store_close(s);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static bool part_has(const struct migrate_statement *p, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= p->len; i++)
        if (memcmp(p->sql + i, needle, n) == 0)
            return true;
    return false;
}

/* A migration file's statements: a ";" ending a line, outside quotes, $$ blocks and comments. */
static void test_migrate_split(void **state)
{
    static const char sql[] = "-- a comment; with a semicolon;\n"
                              "CREATE TABLE t (a TEXT DEFAULT 'x;\ny;'); -- trailing\n"
                              "\n"
                              "CREATE TRIGGER g BEFORE UPDATE ON t BEGIN SELECT RAISE(ABORT, 'no'); END;\n"
                              "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN\n  RAISE EXCEPTION 'no';\nEND $$ LANGUAGE plpgsql;\n"
                              "-- only a comment at the end;\n";
    struct migrate_statement parts[8];
    size_t n;
    (void)state;

    n = migrate_split(sql, parts, 8);
    assert_int_equal(n, 3);
    assert_true(part_has(&parts[0], "CREATE TABLE t (a TEXT DEFAULT 'x;\ny;')"));
    assert_true(part_has(&parts[1], "RAISE(ABORT, 'no'); END"));
    assert_true(part_has(&parts[2], "END $$ LANGUAGE plpgsql"));
    /* Counting without room: the number is still right. */
    assert_int_equal(migrate_split(sql, parts, 1), 3);
    assert_int_equal(migrate_split("", parts, 8), 0);
    assert_int_equal(migrate_split("SELECT 1", parts, 8), 1);
}

/* Timestamps as PostgreSQL and MySQL print them, in slipway's one form. */
static void test_time_from_sql(void **state)
{
    static const char *const cases[][2] = {
        {"2026-11-22 06:30:00+00", "2026-11-22T06:30:00.000Z"},        {"2026-11-22 06:30:00.12+00", "2026-11-22T06:30:00.120Z"},
        {"2026-11-22 06:30:00.123456+00", "2026-11-22T06:30:00.123Z"}, {"2026-11-22 06:30:00.123", "2026-11-22T06:30:00.123Z"},
        {"2026-11-22 06:30:00", "2026-11-22T06:30:00.000Z"},
    };
    char out[TIMESTAMP_SIZE];
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        store_time_from_sql(cases[i][0], out);
        assert_string_equal(out, cases[i][1]);
    }
}

/* Unknown schemes and malformed server URLs are refused with a clear error, without connecting. */
static void test_bad_urls(void **state)
{
    static const char *const urls[] = {"oracle://x/y", "no-scheme", "mysql://user:pw@host:99999/db", "mysql://host/",
                                       "mysql://u@h/db?unknown=1"};
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(urls); i++) {
        struct store *s = NULL;
        struct err err;
        err_clear(&err);
        assert_int_equal(store_open(urls[i], NULL, &s, &err), ERR_INVALID);
        assert_null(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statements),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_tenant_guard),
        cmocka_unit_test(test_migrations_up_down_up),
        cmocka_unit_test(test_embedded_migrations),
        cmocka_unit_test(test_changed_migration_refused),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_dirty),
        cmocka_unit_test(test_migrate_split),
        cmocka_unit_test(test_time_from_sql),
        cmocka_unit_test(test_bad_urls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
