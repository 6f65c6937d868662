/*
 * Unit tests of the embedded web UI (src/ui/ui_assets.h): the generated
 * table is well formed, and the page obeys the Content-Security-Policy it is
 * served with (no inline script, no inline style, every /ui/ file it names
 * is embedded), and the CSRF token of a session (src/tenancy/session.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "tenancy/session.h"
#include "ui/ui_assets.h"

static const struct ui_asset *find(const char *name)
{
    for (size_t i = 0; i < ui_assets_count; i++)
        if (strcmp(ui_assets[i].name, name) == 0)
            return &ui_assets[i];
    return NULL;
}

static void test_table(void **state)
{
    (void)state;
    assert_true(ui_assets_count >= 3);
    assert_non_null(find("index.html"));
    assert_non_null(find("app.js"));
    assert_non_null(find("app.css"));
    for (size_t i = 0; i < ui_assets_count; i++) {
        const struct ui_asset *a = &ui_assets[i];
        size_t n = strlen(a->etag);
        assert_true(a->len > 0);
        assert_int_equal(a->body[a->len], '\0');
        assert_non_null(a->content_type);
        assert_int_equal(n, 22); /* a quote, 20 hex digits, a quote */
        assert_int_equal(a->etag[0], '"');
        assert_int_equal(a->etag[n - 1], '"');
        for (size_t j = i + 1; j < ui_assets_count; j++) {
            assert_string_not_equal(a->name, ui_assets[j].name);
            assert_string_not_equal(a->etag, ui_assets[j].etag);
        }
    }
}

static void test_page_obeys_its_csp(void **state)
{
    const struct ui_asset *index = find("index.html");
    const char *p = index->body;
    (void)state;

    /* Every <script> has a src (no inline code); no style attribute or <style> element. */
    for (const char *s = strstr(p, "<script"); s; s = strstr(s + 1, "<script")) {
        const char *end = strchr(s, '>'), *src = strstr(s, "src=");
        assert_non_null(end);
        assert_true(src && src < end);
    }
    assert_null(strstr(p, " style="));
    assert_null(strstr(p, "<style"));
    assert_null(strstr(p, "http://"));
    assert_null(strstr(p, "https://"));
    /* Every /ui/ file the page names is embedded. */
    for (const char *s = strstr(p, "\"/ui/"); s; s = strstr(s + 1, "\"/ui/")) {
        char name[64];
        size_t n = strcspn(s + 5, "\"");
        assert_true(n < sizeof name);
        memcpy(name, s + 5, n);
        name[n] = '\0';
        if (!find(name))
            fail_msg("index.html names /ui/%s, which is not embedded", name);
    }
}

static void test_csrf_token(void **state)
{
    char a[SHA256_HEX_SIZE], b[SHA256_HEX_SIZE], c[SHA256_HEX_SIZE];
    (void)state;

    session_csrf_token("slw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", a);
    session_csrf_token("slw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", b);
    session_csrf_token("slw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 64);
    /* SHA-256 of "slipway-csrf-v1:" and the token: not the token's own hash (that is what the database stores). */
    hash_sha256_hex("slw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 47, b);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_page_obeys_its_csp),
        cmocka_unit_test(test_csrf_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
