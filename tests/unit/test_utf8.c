/* Unit tests of src/core/utf8.c and of the places that cut text with it: err_set, err_detail, log_escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/utf8.h"

/* e-acute (2 bytes), a CJK character (3 bytes), an emoji (4 bytes). */
#define E2 "\xc3\xa9"
#define E3 "\xe6\xbc\xa2"
#define E4 "\xf0\x9f\x9a\xa2"

/* What jansson accepts is what an answer can carry. */
static bool encodable(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

static void test_decode(void **state)
{
    static const struct {
        const char *s;
        int len;
        uint32_t cp;
    } cases[] = {
        {"A", 1, 'A'},
        {E2, 2, 0xe9},
        {E3, 3, 0x6f22},
        {E4, 4, 0x1f6a2},
        {"\xf4\x8f\xbf\xbf", 4, 0x10ffff},
        {"\xc0\xaf", 0, 0},         /* overlong '/' */
        {"\xe0\x80\xaf", 0, 0},     /* overlong, three bytes */
        {"\xed\xa0\x80", 0, 0},     /* a UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 0, 0}, /* past U+10FFFF */
        {"\xa9", 0, 0},             /* a continuation byte alone */
        {"\xff", 0, 0},
        {"\xc3", 0, 0},     /* cut short */
        {"\xe6\xbc", 0, 0}, /* cut short */
        {"\xc3"
         "A",
         0, 0}, /* not continued */
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t cp = 0;
        int len = utf8_decode(cases[i].s, strlen(cases[i].s), &cp);
        assert_int_equal(len, cases[i].len);
        if (len)
            assert_int_equal(cp, cases[i].cp);
        assert_int_equal(utf8_valid(cases[i].s), len > 0 && (size_t)len == strlen(cases[i].s));
    }
}

static void test_length_counts_characters(void **state)
{
    (void)state;
    assert_int_equal(utf8_length(""), 0);
    assert_int_equal(utf8_length("abc"), 3);
    assert_int_equal(utf8_length(E2 E3 E4 "x"), 4);
    assert_int_equal(utf8_offset(E2 E3 E4 "x", 0), 0);
    assert_int_equal(utf8_offset(E2 E3 E4 "x", 2), 5);
    assert_int_equal(utf8_offset(E2 E3 E4 "x", 4), 10);
    assert_int_equal(utf8_offset(E2 E3 E4 "x", 9), 10); /* fewer characters: all of it */
}

/* Every cut of a mixed text at every byte count ends on a character boundary. */
static void test_prefix_never_cuts_a_character(void **state)
{
    const char *text = "a" E2 E3 E4 "b" E4 E3 E2;
    size_t len = strlen(text);
    (void)state;
    for (size_t max = 0; max <= len + 1; max++) {
        size_t n = utf8_prefix(text, len, max);
        char buf[64];
        assert_true(n <= max && n <= len);
        assert_true(max < 4 || n + 3 >= (max < len ? max : len)); /* loses at most the cut character */
        memcpy(buf, text, n);
        buf[n] = '\0';
        assert_true(utf8_valid(buf));
        assert_true(encodable(buf));
    }
    assert_int_equal(utf8_prefix(E2 E2, 4, 3), 2);
    assert_int_equal(utf8_prefix(E2 E2, 4, 4), 4);
    assert_int_equal(utf8_prefix(E2 E2, 4, 1), 0);
}

static void test_copy(void **state)
{
    char out[6];
    (void)state;
    assert_int_equal(utf8_copy(out, sizeof out, E3 E3), 3); /* 6 bytes do not fit in 5: one character does */
    assert_string_equal(out, E3);
    assert_int_equal(utf8_copy(out, sizeof out, "ab" E2), 4);
    assert_string_equal(out, "ab" E2);
    assert_int_equal(utf8_copy(out, 1, "abc"), 0);
    assert_string_equal(out, "");
}

static void test_scrub(void **state)
{
    char cut[] = "ab" E2 "\xe6\xbc"; /* the last character cut short: dropped */
    char stray[] = "a\xff"
                   "b\xa9" E2 "c"; /* stray bytes inside: '?' */
    char fine[] = "ok " E4;
    (void)state;
    assert_int_equal(utf8_scrub(cut), 4);
    assert_string_equal(cut, "ab" E2);
    assert_int_equal(utf8_scrub(stray), 7);
    assert_string_equal(stray, "a?b?" E2 "c");
    assert_int_equal(utf8_scrub(fine), strlen("ok " E4));
    assert_string_equal(fine, "ok " E4);
}

/* A message or a detail longer than its buffer is cut between characters, so the answer can always be encoded. */
static void test_err_cuts_on_a_boundary(void **state)
{
    char method[400] = "";
    struct err e;
    (void)state;
    for (int i = 0; i < 199; i++)
        memcpy(method + strlen(method), E2, 3);
    err_clear(&e);
    err_set(&e, ERR_METHOD, "%s is not allowed on this path (allowed: %s)", method, "GET");
    assert_true(utf8_valid(e.message));
    assert_true(strlen(e.message) >= sizeof e.message - 2);
    for (size_t shift = 0; shift < 3; shift++) {
        err_clear(&e);
        err_detail(&e, method + 0, "%.*s%s", (int)shift, "xxx", method);
        assert_int_equal(e.ndetails, 1);
        assert_true(utf8_valid(e.details[0].field) && encodable(e.details[0].field));
        assert_true(utf8_valid(e.details[0].message) && encodable(e.details[0].message));
        assert_true(strlen(e.details[0].field) >= sizeof e.details[0].field - 2);
    }
    /* A method that is not UTF-8 at all: its bytes become '?'. */
    err_set(&e, ERR_METHOD, "%s is not allowed", "G\xff\xfeT");
    assert_string_equal(e.message, "G??T is not allowed");
}

static void test_log_escape(void **state)
{
    char out[64];
    (void)state;
    assert_int_equal(log_escape(out, sizeof out, "/a\"b\\c\n"), strlen("/a\\\"b\\\\c\\u000a"));
    assert_string_equal(out, "/a\\\"b\\\\c\\u000a");
    log_escape(out, sizeof out, "caf" E2 " " E4 " \xff");
    assert_string_equal(out, "caf\\u00e9 \\ud83d\\udea2 \\ufffd");
    /* Cut: never inside an escape, and what is written is valid JSON. */
    for (size_t cap = 1; cap < 40; cap++) {
        char line[80];
        json_error_t jerr;
        json_t *j;
        size_t n = log_escape(out, cap, E3 E3 E3 "ab" E4);
        assert_true(n < cap);
        assert_int_equal(strlen(out), n);
        snprintf(line, sizeof line, "\"%s\"", out);
        j = json_loads(line, JSON_DECODE_ANY, &jerr);
        assert_non_null(j);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_length_counts_characters),
        cmocka_unit_test(test_prefix_never_cuts_a_character),
        cmocka_unit_test(test_copy),
        cmocka_unit_test(test_scrub),
        cmocka_unit_test(test_err_cuts_on_a_boundary),
        cmocka_unit_test(test_log_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
