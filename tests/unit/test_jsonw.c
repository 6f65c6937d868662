/* Unit tests of src/http/jsonw.c: the text is what json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER) writes for the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "http/jsonw.h"

#define E2 "\xc3\xa9"
#define E4 "\xf0\x9f\x9a\xa2"

/* What jansson writes for v (which it owns from here on). */
static char *dumped(json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_decref(v);
    return text;
}

static void assert_same_as_jansson(struct jsonw *w, json_t *v)
{
    char *want = dumped(v);
    assert_false(w->failed);
    assert_string_equal(w->out.data, want);
    free(want);
}

static void test_strings_escaped_as_jansson_escapes_them(void **state)
{
    static const char *const texts[] = {"",       "plain",    "a\"b\\c/d", "\b\f\n\r\t", "\x01\x1f\x7f",
                                        "caf" E2, E4 " ship", "</script>", "tab\there"};
    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        struct jsonw w;
        jsonw_init(&w, 1024);
        jsonw_string(&w, texts[i]);
        assert_same_as_jansson(&w, json_string(texts[i]));
        jsonw_free(&w);
    }
}

static void test_invalid_utf8_fails_the_writer(void **state)
{
    static const char *const bad[] = {"\xff", "a\xc3", "\xed\xa0\x80", "\xc0\xaf"};
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct jsonw w;
        jsonw_init(&w, 1024);
        jsonw_object(&w);
        jsonw_key(&w, "k");
        jsonw_string(&w, bad[i]);
        assert_true(w.failed);
        assert_null(json_string(bad[i])); /* jansson refuses it too */
        jsonw_object_end(&w);             /* nothing more is written, nothing breaks */
        jsonw_free(&w);
    }
}

static void test_nesting_and_commas(void **state)
{
    struct jsonw w;
    (void)state;
    jsonw_init(&w, 1024);
    jsonw_object(&w);
    jsonw_key(&w, "a");
    jsonw_int(&w, -9223372036854775807LL - 1);
    jsonw_key(&w, "b");
    jsonw_array(&w);
    jsonw_array_end(&w);
    jsonw_key(&w, "c");
    jsonw_array(&w);
    jsonw_object(&w);
    jsonw_object_end(&w);
    jsonw_bool(&w, true);
    jsonw_bool(&w, false);
    jsonw_null(&w);
    jsonw_text_or_null(&w, NULL);
    jsonw_text_or_null(&w, "x");
    jsonw_int(&w, 0);
    jsonw_int(&w, 42);
    jsonw_array_end(&w);
    jsonw_key(&w, "d\n");
    jsonw_object(&w);
    jsonw_key(&w, "e");
    jsonw_string(&w, "f");
    jsonw_object_end(&w);
    jsonw_object_end(&w);
    assert_same_as_jansson(&w, json_pack("{s:I, s:[], s:[{}, b, b, n, n, s, i, i], s:{s:s}}", "a",
                                         (json_int_t)(-9223372036854775807LL - 1), "b", "c", 1, 0, "x", 0, 42, "d\n", "e", "f"));
    jsonw_free(&w);
}

/* jsonw_raw writes what json_loads then json_dumps writes, whatever the spacing and escapes. */
static void test_raw_as_parsed_and_dumped(void **state)
{
    static const char *const texts[] = {
        "{}",
        "[]",
        "{\"a\": 1, \"b\": [true, false, null], \"c\": {\"d\": \"e\"}}",
        " [ 1 , -2 , 0 , -0 , 007 ] ",                               /* -0 and leading zeros: jansson's way */
        "{\"n\": 1.50, \"m\": 1e3, \"big\": 123456789012345678901}", /* reals, and an integer past json_int_t */
        "{\"s\": \"caf\\u00e9 \\/ \\n \\\"q\\\"\"}",                 /* escapes re-written by jansson */
        "{\"u\": \"caf" E2 " " E4 "\"}",
        "{\"deep\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        struct jsonw w;
        json_t *v = json_loads(texts[i], 0, NULL);
        jsonw_init(&w, 4096);
        jsonw_raw(&w, texts[i], "{}");
        if (v) {
            assert_same_as_jansson(&w, v);
        } else {
            assert_false(w.failed);
            assert_string_equal(w.out.data, "{}");
        }
        jsonw_free(&w);
    }
}

static void test_raw_falls_back(void **state)
{
    static const char *const bad[] = {"", "1", "\"s\"", "{", "{\"a\":}", "[1,]", "[1] x", "{\"a\":\"\xff\"}", "nul", "[tru]"};
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct jsonw w;
        jsonw_init(&w, 1024);
        jsonw_array(&w);
        jsonw_raw(&w, bad[i], "[]");
        jsonw_raw(&w, NULL, "{}");
        jsonw_array_end(&w);
        assert_false(w.failed);
        assert_string_equal(w.out.data, "[[],{}]");
        jsonw_free(&w);
    }
}

static void test_cap_fails_the_writer(void **state)
{
    struct jsonw w;
    (void)state;
    jsonw_init(&w, 16);
    jsonw_array(&w);
    jsonw_string(&w, "0123456789");
    assert_false(w.failed);
    jsonw_raw(&w, "[1, 2, 3, 4, 5]", "[]");
    assert_true(w.failed);
    assert_true(w.out.len <= 16);
    jsonw_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_escaped_as_jansson_escapes_them),
        cmocka_unit_test(test_invalid_utf8_fails_the_writer),
        cmocka_unit_test(test_nesting_and_commas),
        cmocka_unit_test(test_raw_as_parsed_and_dumped),
        cmocka_unit_test(test_raw_falls_back),
        cmocka_unit_test(test_cap_fails_the_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
