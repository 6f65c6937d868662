/*
 * Unit tests of src/sites: Markdown with raw HTML off (script in every form
 * an author might try), the slug and host-name rules, and the post made from
 * a release's notes, on a migrated SQLite file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "sites/markdown.h"
#include "sites/sites.h"
#include "store/migrate.h"
#include "store/store.h"

static void assert_safe(const char *md, const char *must_have)
{
    char *html = markdown_html(md, strlen(md));

    assert_non_null(html);
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<iframe"));
    assert_null(strstr(html, "<img src=\"x\" onerror"));
    assert_null(strstr(html, "onerror="));
    assert_null(strstr(html, "javascript:"));
    assert_null(strstr(html, "vbscript:"));
    assert_null(strstr(html, "data:text/html"));
    if (must_have && !strstr(html, must_have))
        fail_msg("%s\nrendered as\n%s\nlacks %s", md, html, must_have);
    free(html);
}

static void test_markdown_raw_html_off(void **state)
{
    (void)state;
    assert_safe("# Title\n\nSome *emphasis* and `code`.", "<h1>Title</h1>");
    assert_safe("<script>alert(1)</script>", "<!-- raw HTML omitted -->");
    assert_safe("text <script>alert(1)</script> inline", "<!-- raw HTML omitted -->");
    assert_safe("<img src=x onerror=alert(1)>", NULL);
    assert_safe("<iframe src=\"https://evil.example\"></iframe>", NULL);
    assert_safe("[click](javascript:alert(1))", "<a href=\"\">click</a>");
    assert_safe("[click](JaVaScRiPt:alert(1))", "<a href=\"\">");
    assert_safe("[x](vbscript:msgbox)", "<a href=\"\">");
    assert_safe("[x](data:text/html;base64,PHNjcmlwdD4=)", "<a href=\"\">");
    assert_safe("![i](javascript:alert(1))", "<img src=\"\"");
    assert_safe("<a href=\"javascript:alert(1)\">x</a>", NULL);
    assert_safe("[ok](https://example.com/?a=1&b=\"2\")", "href=\"https://example.com/?a=1&amp;b=%222%22\"");
    assert_safe("`<script>`", "<code>&lt;script&gt;</code>");
    assert_safe("```\n<script>alert(1)</script>\n```", "&lt;script&gt;");
    assert_safe("\xff\xfe invalid UTF-8", "\xef\xbf\xbd"); /* replaced, not passed through */
}

static void test_html_escape(void **state)
{
    struct buf b;
    (void)state;
    buf_init(&b, 64);
    assert_int_equal(html_escape(&b, "<a href=\"x\">'&'</a>"), 0);
    assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    assert_int_equal(html_escape(&b, "0123456789012345678901234567890123456789"), -1); /* the cap holds */
    buf_free(&b);
}

static void test_slugs_and_hosts(void **state)
{
    (void)state;
    assert_true(site_slug_valid("acme-notes"));
    assert_true(site_slug_valid("a"));
    assert_false(site_slug_valid(""));
    assert_false(site_slug_valid("-acme"));
    assert_false(site_slug_valid("Acme"));
    assert_false(site_slug_valid("a/b"));
    assert_false(site_slug_valid("a.b"));
    assert_false(site_slug_valid("0123456789012345678901234567890123456789012345678901234567890123")); /* 64 */
    assert_true(post_slug_valid("release-1.2.0_rc"));
    assert_false(post_slug_valid("feed.atom"));
    assert_false(post_slug_valid("preview"));
    assert_false(post_slug_valid(".hidden"));
    assert_false(post_slug_valid("a b"));
    assert_true(host_name_valid("notes.example.com"));
    assert_true(host_name_valid("a-b.c0.example"));
    assert_false(host_name_valid("localhost"));
    assert_false(host_name_valid("127.0.0.1"));
    assert_false(host_name_valid("a..b"));
    assert_false(host_name_valid("-a.example.com"));
    assert_false(host_name_valid("a-.example.com"));
    assert_false(host_name_valid("Notes.example.com")); /* callers lower-case first */
    assert_false(host_name_valid("a_b.example.com"));
    assert_false(host_name_valid("example.com."));
}

static void run(struct store_conn *c, const char *sql, const struct store_val *args, size_t n)
{
    struct err err;
    err_clear(&err);
    if (store_run(c, sql, args, n, NULL, &err))
        fail_msg("%s: %s", sql, err.message);
}

static int64_t count(struct store_conn *c, const char *sql, const char *arg)
{
    struct store_stmt *st;
    struct err err;
    int64_t n = -1;
    err_clear(&err);
    assert_int_equal(store_select(c, sql, STORE_ARGS(STORE_TEXT(arg)), &st, &err), ERR_OK);
    if (store_next(st, &err) == 1)
        n = store_col_int(st, 0);
    store_finish(st);
    return n;
}

static void test_post_from_release(void **state)
{
    char dir[] = "/tmp/slipway-sites-XXXXXX", url[256], now[TIMESTAMP_SIZE];
    const char *tenant = "01900000-0000-7000-8000-000000000001", *release = "01900000-0000-7000-8000-000000000002";
    const char *site1 = "01900000-0000-7000-8000-000000000003", *site2 = "01900000-0000-7000-8000-000000000004";
    const char *site3 = "01900000-0000-7000-8000-000000000005";
    struct store *s = NULL;
    struct store_conn *c;
    struct err err;
    int made = -1;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof url, "sqlite://%s/t.db", dir);
    err_clear(&err);
    assert_int_equal(store_open(url, NULL, &s, &err), ERR_OK);
    assert_int_equal(migrate_up(s, migrate_set_for(s), NULL, &err), ERR_OK);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    clock_now(now);
    run(c, "INSERT INTO tenants (id, orgName, createdAt, updatedAt) VALUES (?, 'Acme', ?, ?)",
        STORE_ARGS(STORE_TEXT(tenant), STORE_TIME(now), STORE_TIME(now)));
    run(c,
        "INSERT INTO releases (id, tenantId, version, releaseType, platforms, status, baseRef, releaseBranch, createdAt, "
        "updatedAt) VALUES (?, ?, '2.0.0 beta', 'MAJOR', '[\"IOS\"]', 'FINISHED', 'main', 'release/2.0.0', ?, ?)",
        STORE_ARGS(STORE_TEXT(release), STORE_TEXT(tenant), STORE_TIME(now), STORE_TIME(now)));
    for (int i = 0; i < 2; i++) {
        const char *site = i ? site2 : site1;
        run(c, "INSERT INTO sites (id, tenantId, slug, name, createdAt, updatedAt) VALUES (?, ?, ?, 'Notes', ?, ?)",
            STORE_ARGS(STORE_TEXT(site), STORE_TEXT(tenant), STORE_TEXT(i ? "two" : "one"), STORE_TIME(now), STORE_TIME(now)));
        run(c, "INSERT INTO site_settings (siteId, tenantId, title, autoPublishNotes, updatedAt) VALUES (?, ?, 'Notes', ?, ?)",
            STORE_ARGS(STORE_TEXT(site), STORE_TEXT(tenant), STORE_BOOL(i == 1), STORE_TIME(now)));
    }
    /* A third site shows Android only: an iOS release's notes are not its to tell. */
    run(c, "INSERT INTO sites (id, tenantId, slug, name, createdAt, updatedAt) VALUES (?, ?, 'three', 'Notes', ?, ?)",
        STORE_ARGS(STORE_TEXT(site3), STORE_TEXT(tenant), STORE_TIME(now), STORE_TIME(now)));
    run(c,
        "INSERT INTO site_settings (siteId, tenantId, title, platforms, autoPublishNotes, updatedAt) "
        "VALUES (?, ?, 'Notes', '[\"ANDROID\"]', ?, ?)",
        STORE_ARGS(STORE_TEXT(site3), STORE_TEXT(tenant), STORE_BOOL(true), STORE_TIME(now)));
    /* The second site already has a post with the slug the release would take: it gets a longer one. */
    run(c,
        "INSERT INTO posts (id, tenantId, siteId, title, slug, body, status, createdAt, updatedAt) "
        "VALUES ('01900000-0000-7000-8000-000000000009', ?, ?, 'Mine', 'release-2.0.0-beta', '', 'DRAFT', ?, ?)",
        STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(site2), STORE_TIME(now), STORE_TIME(now)));

    assert_int_equal(sites_post_from_release(c, tenant, release, "* fixed the crash", &made, &err), ERR_OK);
    assert_int_equal(made, 2);
    assert_int_equal(count(c, "SELECT COUNT(*) FROM posts WHERE releaseId = ? AND title = 'Release 2.0.0 beta'", release), 2);
    assert_int_equal(
        count(c, "SELECT COUNT(*) FROM posts WHERE siteId = '01900000-0000-7000-8000-000000000005' AND releaseId = ?", release), 0);
    assert_int_equal(count(c,
                           "SELECT COUNT(*) FROM posts WHERE releaseId = ? AND status = 'DRAFT' AND publishedAt IS NULL "
                           "AND slug = 'release-2.0.0-beta' AND body = '* fixed the crash'",
                           release),
                     1);
    assert_int_equal(count(c,
                           "SELECT COUNT(*) FROM posts WHERE releaseId = ? AND status = 'PUBLISHED' AND publishedAt IS NOT NULL "
                           "AND slug = 'release-2.0.0-beta-01900000'",
                           release),
                     1);
    /* Once per site: a second call makes nothing. */
    assert_int_equal(sites_post_from_release(c, tenant, release, "again", &made, &err), ERR_OK);
    assert_int_equal(made, 0);
    assert_int_equal(sites_post_from_release(c, tenant, "01900000-0000-7000-8000-00000000000f", "x", &made, &err), ERR_NOT_FOUND);

    /* Apps: a site naming store targets tells only a release submitted to one of them (docs/sites.md). */
    run(c, "INSERT INTO accounts (id, email, name, createdAt, updatedAt) VALUES ('a1', 'a@example.com', 'A', ?, ?)",
        STORE_ARGS(STORE_TIME(now), STORE_TIME(now)));
    run(c,
        "INSERT INTO tenant_target_integrations (id, tenantId, targetType, displayName, configuredByAccountId) VALUES "
        "('target-ios', ?, 'APP_STORE', 'iOS app', 'a1'), ('target-play', ?, 'PLAY_STORE', 'Android app', 'a1')",
        STORE_ARGS(STORE_TEXT(tenant), STORE_TEXT(tenant)));
    run(c,
        "INSERT INTO releases (id, tenantId, version, releaseType, platforms, status, baseRef, releaseBranch, createdAt, "
        "updatedAt) VALUES ('01900000-0000-7000-8000-0000000000a2', ?, '2.1.0', 'MINOR', '[\"IOS\"]', 'FINISHED', 'main', "
        "'release/2.1.0', ?, ?)",
        STORE_ARGS(STORE_TEXT(tenant), STORE_TIME(now), STORE_TIME(now)));
    run(c,
        "INSERT INTO store_submissions (id, tenantId, releaseId, platform, targetIntegrationId, targetType, track, status, "
        "buildNumber, createdAt, updatedAt) VALUES ('01900000-0000-7000-8000-0000000000b1', ?, "
        "'01900000-0000-7000-8000-0000000000a2', 'IOS', 'target-ios', 'APP_STORE', 'APP_STORE', 'RELEASED', '7', ?, ?)",
        STORE_ARGS(STORE_TEXT(tenant), STORE_TIME(now), STORE_TIME(now)));
    for (int i = 0; i < 2; i++) {
        const char *site = i ? "01900000-0000-7000-8000-0000000000c2" : "01900000-0000-7000-8000-0000000000c1";
        run(c, "INSERT INTO sites (id, tenantId, slug, name, createdAt, updatedAt) VALUES (?, ?, ?, 'Notes', ?, ?)",
            STORE_ARGS(STORE_TEXT(site), STORE_TEXT(tenant), STORE_TEXT(i ? "android" : "ios"), STORE_TIME(now), STORE_TIME(now)));
        run(c, "INSERT INTO site_settings (siteId, tenantId, title, apps, updatedAt) VALUES (?, ?, 'Notes', ?, ?)",
            STORE_ARGS(STORE_TEXT(site), STORE_TEXT(tenant), STORE_TEXT(i ? "[\"target-play\"]" : "[\"target-ios\"]"),
                       STORE_TIME(now)));
    }
    err_clear(&err);
    assert_int_equal(sites_post_from_release(c, tenant, "01900000-0000-7000-8000-0000000000a2", "* 2.1", &made, &err), ERR_OK);
    assert_int_equal(made, 3); /* the two sites showing every app, and the iOS app's */
    assert_int_equal(count(c, "SELECT COUNT(*) FROM posts WHERE siteId = '01900000-0000-7000-8000-0000000000c1' AND releaseId = ?",
                           "01900000-0000-7000-8000-0000000000a2"),
                     1);
    assert_int_equal(count(c, "SELECT COUNT(*) FROM posts WHERE siteId = '01900000-0000-7000-8000-0000000000c2' AND releaseId = ?",
                           "01900000-0000-7000-8000-0000000000a2"),
                     0);

    store_conn_put(c);
    store_close(s);
    snprintf(url, sizeof url, "%s/t.db", dir);
    unlink(url);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markdown_raw_html_off),
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_slugs_and_hosts),
        cmocka_unit_test(test_post_from_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
