/* Unit tests of src/core: arena, errors, config, clock, encodings, rate limits, ids, FNV-1a, the revision cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/encode.h"
#include "core/err.h"
#include "core/fnv.h"
#include "core/rand.h"
#include "core/ratelimit.h"
#include "core/revcache.h"

static int deferred_runs;
static void count_defer(void *p)
{
    deferred_runs += *(int *)p;
}

static void test_arena(void **state)
{
    struct arena *a = arena_new();
    int weight = 1;
    (void)state;

    char *s = arena_strdup(a, "hello");
    assert_string_equal(s, "hello");
    assert_string_equal(arena_printf(a, "%s-%d", s, 42), "hello-42");
    assert_string_equal(arena_strndup(a, "abcdef", 3), "abc");
    /* Small allocations are aligned and zeroed; a big one gets its own block. */
    for (int i = 0; i < 1000; i++) {
        unsigned char *p = arena_alloc(a, (size_t)(i % 50) + 1);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        assert_int_equal(p[0], 0);
    }
    char *big = arena_alloc(a, 1 << 20);
    big[(1 << 20) - 1] = 'x';
    assert_true(arena_used(a) >= (1 << 20));
    deferred_runs = 0;
    arena_defer(a, count_defer, &weight);
    arena_defer(a, count_defer, &weight);
    arena_destroy(a);
    assert_int_equal(deferred_runs, 2);
}

static void test_buf_limit(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b, 8);
    assert_int_equal(buf_appends(&b, "1234"), 0);
    assert_int_equal(buf_appends(&b, "5678"), 0);
    assert_int_equal(buf_appends(&b, "9"), -1); /* past the cap: refused, unchanged */
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    buf_free(&b);
}

/* Formatted text is capped the same way, short or long (past the small first try). */
static void test_buf_printf(void **state)
{
    struct buf b;
    char long_text[600];
    (void)state;
    buf_init(&b, 1000);
    assert_int_equal(buf_printf(&b, "%s-%d", "a", 1), 0);
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    assert_int_equal(buf_printf(&b, ", %s", long_text), 0);
    assert_int_equal(b.len, 3 + 2 + 599);
    assert_int_equal(buf_printf(&b, "%s", long_text), -1); /* past the cap: refused, unchanged */
    assert_int_equal(b.len, 3 + 2 + 599);
    assert_int_equal(strncmp(b.data, "a-1, xxx", 8), 0);
    buf_free(&b);
}

static void test_err_map(void **state)
{
    struct err e;
    (void)state;
    assert_int_equal(err_http_status(ERR_INVALID), 400);
    assert_string_equal(err_code_name(ERR_INVALID), "invalid_request");
    assert_int_equal(err_http_status(ERR_NOT_FOUND), 404);
    assert_int_equal(err_http_status(ERR_METHOD), 405);
    assert_int_equal(err_http_status(ERR_TOO_LARGE), 413);
    assert_int_equal(err_http_status(ERR_MEDIA_TYPE), 415);
    assert_int_equal(err_http_status(ERR_RATE_LIMITED), 429);
    assert_int_equal(err_http_status(ERR_UNAVAILABLE), 503);
    assert_string_equal(err_code_name(ERR_BAD_CREDENTIALS), "invalid_credentials");
    /* Every code has a distinct name and a 4xx/5xx status. */
    for (int i = 1; i < ERR__COUNT; i++) {
        assert_true(err_http_status((enum err_code)i) >= 400);
        for (int j = 1; j < i; j++)
            assert_string_not_equal(err_code_name((enum err_code)i), err_code_name((enum err_code)j));
    }
    err_clear(&e);
    for (int i = 0; i < ERR_DETAILS_MAX + 5; i++)
        err_detail(&e, "f", "problem %d", i);
    assert_int_equal(e.ndetails, ERR_DETAILS_MAX);
    assert_int_equal(err_set(&e, ERR_CONFLICT, "x %s", "y"), ERR_CONFLICT);
    assert_string_equal(e.message, "x y");
}

static void test_config(void **state)
{
    struct config c;
    struct err err;
    int used = 0;
    char *argv[] = {"--listen", "0.0.0.0:9090", "--threads=3", "--migrate", "serve"};
    (void)state;

    err_clear(&err);
    setenv("SLIPWAY_BODY_LIMIT", "2048", 1);
    assert_int_equal(config_load(&c, 5, argv, &used, &err), ERR_OK);
    assert_int_equal(used, 4);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 9090);
    assert_int_equal(c.threads, 3);
    assert_int_equal(config_threads(&c, true), 3);
    assert_true(c.migrate);
    assert_int_equal(c.body_limit, 2048);
    assert_string_equal(c.database_url, "sqlite://./slipway.db");
    assert_int_equal(c.session_ttl, 86400);

    setenv("SLIPWAY_BODY_LIMIT", "12x", 1);
    assert_int_equal(config_load(&c, 0, NULL, &used, &err), ERR_INVALID);
    assert_non_null(strstr(err.message, "SLIPWAY_BODY_LIMIT"));
    unsetenv("SLIPWAY_BODY_LIMIT");

    char *bad_listen[] = {"--listen", "nowhere"};
    assert_int_equal(config_load(&c, 2, bad_listen, &used, &err), ERR_INVALID);
    char *unknown[] = {"--frobnicate"};
    assert_int_equal(config_load(&c, 1, unknown, &used, &err), ERR_INVALID);
    char *range[] = {"--threads", "0"};
    assert_int_equal(config_load(&c, 2, range, &used, &err), ERR_INVALID);
    char *missing[] = {"--database"};
    assert_int_equal(config_load(&c, 1, missing, &used, &err), ERR_INVALID);

    /* Unset, the threads follow the database: the cores on SQLite, four a core within the pool on a server. */
    assert_int_equal(config_load(&c, 0, NULL, &used, &err), ERR_OK);
    assert_int_equal(c.threads, 0);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(config_threads(&c, false), cores);
    assert_int_equal(config_threads(&c, true), 4 * cores < c.db_pool ? 4 * cores : c.db_pool);
    c.db_pool = 1;
    assert_int_equal(config_threads(&c, true), 1);
}

static void test_clock(void **state)
{
    char out[TIMESTAMP_SIZE];
    int64_t ms;
    (void)state;

    clock_format(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    clock_format(1795321516123LL, out);
    assert_int_equal(clock_parse(out, &ms), 0);
    assert_int_equal(ms, 1795321516123LL);
    assert_int_equal(clock_parse("2026-11-22T04:15:16Z", &ms), 0);
    assert_int_equal(clock_parse("2026-11-22T06:15:16+02:00", &ms), 0);
    clock_format(ms, out);
    assert_string_equal(out, "2026-11-22T04:15:16.000Z");
    assert_int_equal(clock_parse("2024-02-29T00:00:00.5Z", &ms), 0);
    assert_int_equal(ms % 1000, 500);
    const char *bad[] = {"",
                         "2026-11-22",
                         "2026-13-01T00:00:00Z",
                         "2026-02-29T00:00:00Z",
                         "2026-11-22T24:00:00Z",
                         "2026-11-22T04:15:16",
                         "2026-11-22T04:15:16.Z",
                         "2026-11-22T04:15:16Zjunk",
                         "yesterday"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        assert_int_equal(clock_parse(bad[i], &ms), -1);
}

static void test_encode(void **state)
{
    char out[64];
    unsigned char back[64];
    (void)state;

    hex_encode("\x01\xab", 2, out);
    assert_string_equal(out, "01ab");
    for (size_t n = 0; n < 20; n++) {
        unsigned char in[20];
        for (size_t i = 0; i < n; i++)
            in[i] = (unsigned char)(i * 37 + n);
        b64url_encode(in, n, out);
        assert_int_equal(strlen(out), B64URL_LEN(n));
        assert_int_equal(b64url_decode(out, strlen(out), back), (long)n);
        assert_memory_equal(in, back, n);
        b64_encode(in, n, out);
        assert_int_equal(strlen(out), B64_LEN(n));
        assert_int_equal(b64_decode(out, strlen(out), back), (long)n);
        assert_memory_equal(in, back, n);
    }
    b64_encode("\xfb\xff", 2, out);
    assert_string_equal(out, "+/8="); /* RFC 4648's alphabet, padded */
    assert_int_equal(b64url_decode("a+b/", 4, back), -1);
    assert_int_equal(b64url_decode("abcde", 5, back), -1);
    assert_int_equal(b64url_decode("AB", 2, back), -1); /* non-zero trailing bits: not canonical */
}

static void test_uuid(void **state)
{
    char a[UUID_SIZE], b[UUID_SIZE];
    (void)state;
    rand_uuid(a);
    rand_uuid(b);
    assert_true(uuid_valid(a));
    assert_string_not_equal(a, b);
    assert_int_equal(a[14], '7'); /* version 7: time first */
    assert_true(strchr("89ab", a[19]) != NULL);
    {
        /* The first 48 bits are the Unix time in milliseconds, so ids sort by creation. */
        char hex[13];
        long long ms;
        memcpy(hex, a, 8);
        memcpy(hex + 8, a + 9, 4);
        hex[12] = '\0';
        ms = strtoll(hex, NULL, 16);
        assert_true(llabs(ms - (long long)time(NULL) * 1000) < 5000);
        assert_true(strncmp(a, b, 8) <= 0);
    }
    {
        /* Then the millisecond's fraction (4096ths): ids made a microsecond apart sort in the order they were made,
           within one millisecond too. */
        char prev[UUID_SIZE];
        rand_uuid(prev);
        for (int i = 0; i < 200; i++) {
            nanosleep(&(struct timespec){0, 1000}, NULL);
            rand_uuid(a);
            assert_true(strcmp(prev, a) < 0);
            memcpy(prev, a, sizeof prev);
        }
    }
    rand_uuid_scatter(); /* CockroachDB: random ids */
    rand_uuid(a);
    assert_true(uuid_valid(a));
    assert_int_equal(a[14], '4');
    assert_true(strchr("89ab", a[19]) != NULL);
    assert_false(uuid_valid("not-a-uuid"));
    assert_false(uuid_valid("00000000-0000-0000-0000-00000000000g"));
    assert_false(uuid_valid("00000000-0000-0000-0000-0000000000000"));
    assert_true(uuid_valid("00000000-0000-0000-0000-000000000000"));
}

static void test_ratelimit(void **state)
{
    struct ratelimit *rl = ratelimit_new(60, 4);
    int wait = 0;
    (void)state;
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_hit(rl, "e:a@b.c", 3, &wait));
    assert_false(ratelimit_hit(rl, "e:a@b.c", 3, &wait));
    assert_true(wait > 0 && wait <= 60);
    assert_true(ratelimit_hit(rl, "e:other@b.c", 3, &wait));
    /* Many keys in a small table evict old ones rather than grow. */
    for (int i = 0; i < 1000; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        assert_true(ratelimit_hit(rl, key, 1, &wait));
    }
    ratelimit_free(rl);
}

/* Keys count whole, whatever their length: two long keys that differ at their end are two keys (issue 11). */
static void test_ratelimit_long_keys(void **state)
{
    struct ratelimit *rl = ratelimit_new(60, 64);
    char a[400], b[400];
    int wait = 0;
    (void)state;

    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[sizeof b - 2] = 'y';
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_hit(rl, a, 3, &wait));
    assert_false(ratelimit_hit(rl, a, 3, &wait));
    assert_true(ratelimit_hit(rl, b, 3, &wait));
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_backoff(rl, a + 1, 3, &wait));
    assert_false(ratelimit_backoff(rl, a + 1, 3, &wait));
    ratelimit_free(rl);
}

static int64_t fake_now;

static int64_t fake_clock(void)
{
    return fake_now;
}

/* Backoff: three attempts pass, then 1, 2, 4, 8, 16, 16 minutes between attempts; a success forgets them. */
static void test_ratelimit_backoff(void **state)
{
    struct ratelimit *rl = ratelimit_new(60, 64);
    static const int minutes[] = {1, 2, 4, 8, 16, 16};
    int wait = 0;
    (void)state;

    fake_now = 1000000;
    ratelimit_set_clock(rl, fake_clock);
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_backoff(rl, "pair", 3, &wait));
    for (size_t i = 0; i < ARRAY_LEN(minutes); i++) {
        assert_false(ratelimit_backoff(rl, "pair", 3, &wait));
        assert_int_equal(wait, minutes[i] * 60);
        fake_now += (int64_t)minutes[i] * 60000 - 1000;
        assert_false(ratelimit_backoff(rl, "pair", 3, &wait)); /* refused attempts do not count */
        assert_int_equal(wait, 1);
        fake_now += 1000;
        assert_true(ratelimit_backoff(rl, "pair", 3, &wait));
        assert_true(ratelimit_backoff(rl, "other pair", 3, &wait)); /* another key is not held up */
    }
    ratelimit_forget(rl, "pair");
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_backoff(rl, "pair", 3, &wait));
    assert_false(ratelimit_backoff(rl, "pair", 3, &wait));
    /* Quiet for RATELIMIT_BACKOFF_FORGET windows: it starts over. */
    fake_now += (int64_t)RATELIMIT_BACKOFF_FORGET * 60000;
    for (int i = 0; i < 3; i++)
        assert_true(ratelimit_backoff(rl, "pair", 3, &wait));
    ratelimit_free(rl);
}

static void test_fnv1a(void **state)
{
    (void)state;
    /* The published FNV-1a 64-bit test vectors; a seed changes the hash. */
    assert_true(fnv1a("", 0, 0) == 0xcbf29ce484222325u);
    assert_true(fnv1a("a", 1, 0) == 0xaf63dc4c8601ec8cu);
    assert_true(fnv1a("foobar", 6, 0) == 0x85944171f73967e8u);
    assert_true(fnv1a("foobar", 6, 1) != fnv1a("foobar", 6, 0));
}

static void test_revcache(void **state)
{
    struct revcache *c = revcache_new(8);
    struct arena *a = arena_new();
    size_t len = 0;
    char *got;
    (void)state;

    assert_null(revcache_get(c, "t1", 1, a, &len));
    revcache_put(c, "t1", 1, "one", 3);
    got = revcache_get(c, "t1", 1, a, &len);
    assert_non_null(got);
    assert_string_equal(got, "one");
    assert_int_equal(len, 3);
    /* Only the exact revision: an older or newer reader misses. */
    assert_null(revcache_get(c, "t1", 2, a, &len));
    assert_null(revcache_get(c, "t1", 0, a, &len));
    /* An older text never replaces a newer one; a newer one does. */
    revcache_put(c, "t1", 3, "three", 5);
    revcache_put(c, "t1", 2, "two", 3);
    assert_null(revcache_get(c, "t1", 2, a, &len));
    assert_string_equal(revcache_get(c, "t1", 3, a, &len), "three");
    /* Other keys, many more than slots: replaced, never confused. */
    for (int i = 0; i < 100; i++) {
        char key[16], text[16];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(text, sizeof text, "v%d", i);
        revcache_put(c, key, 7, text, strlen(text));
        assert_string_equal(revcache_get(c, key, 7, a, &len), text);
    }
    for (int i = 0; i < 100; i++) {
        char key[16], text[16];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(text, sizeof text, "v%d", i);
        got = revcache_get(c, key, 7, a, &len);
        assert_true(got == NULL || strcmp(got, text) == 0);
    }
    arena_destroy(a);
    revcache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_buf_limit),
        cmocka_unit_test(test_buf_printf),
        cmocka_unit_test(test_err_map),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_ratelimit),
        cmocka_unit_test(test_ratelimit_long_keys),
        cmocka_unit_test(test_ratelimit_backoff),
        cmocka_unit_test(test_fnv1a),
        cmocka_unit_test(test_revcache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
