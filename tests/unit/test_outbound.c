/* Unit tests of the outbound event loop against a local HTTP server, and of the address guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "outbound/outbound.h"
#include "outbound/url.h"

static struct MHD_Daemon *daemon_;
static int port;

/* /ok answers 200 with a header; /slow sleeps 2 s; /big answers 64 KiB; /echo returns the Authorization header. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method, const char *version,
                              const char *upload, size_t *upload_size, void **state)
{
    static char big[64 * 1024];
    struct MHD_Response *r;
    const char *text = "{\"ok\":true}";
    size_t len;
    enum MHD_Result ok;
    (void)cls, (void)method, (void)version, (void)upload;

    if (*state == NULL) {
        *state = (void *)1;
        return MHD_YES;
    }
    *upload_size = 0;
    if (strcmp(url, "/slow") == 0) {
        struct timespec ts = {2, 0};
        nanosleep(&ts, NULL);
    }
    if (strcmp(url, "/echo") == 0) {
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        text = auth ? auth : "none";
    }
    len = strlen(text);
    if (strcmp(url, "/big") == 0) {
        memset(big, 'x', sizeof big);
        text = big;
        len = sizeof big;
    }
    r = MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "X-RateLimit-Remaining", " 42 ");
    ok = MHD_queue_response(c, strcmp(url, "/missing") == 0 ? 404 : 200, r);
    MHD_destroy_response(r);
    return ok;
}

struct result {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
    enum outbound_failure failure;
    long status;
    char body[128];
    char header[32];
    size_t len;
};

static void on_done(const struct outbound_response *res, void *ctx)
{
    struct result *r = ctx;
    pthread_mutex_lock(&r->lock);
    r->failure = res->failure;
    r->status = res->status;
    r->len = res->len;
    snprintf(r->body, sizeof r->body, "%s", res->body);
    if (!outbound_header(res, "x-ratelimit-remaining", r->header, sizeof r->header))
        r->header[0] = '\0';
    r->done++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void wait_for(struct result *r, int n)
{
    pthread_mutex_lock(&r->lock);
    while (r->done < n)
        pthread_cond_wait(&r->cond, &r->lock);
    pthread_mutex_unlock(&r->lock);
}

static void call(struct outbound *o, const char *path, long timeout_ms, struct result *r, const char *const *headers)
{
    char url[128];
    struct err err;
    err_clear(&err);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct outbound_call c = {.method = "GET", .url = url, .headers = headers, .timeout_ms = timeout_ms, .done = on_done, .ctx = r};
    assert_int_equal(outbound_submit(o, &c, &err), ERR_OK);
}

#define RESULT                                                                                                                     \
    {                                                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, OUTBOUND_OK, 0, "", "", 0                                          \
    }

static void test_calls(void **state)
{
    struct outbound_options opt = {.allow = "127.0.0.0/8", .max_response = 1024};
    struct err err;
    struct outbound *o;
    (void)state;

    err_clear(&err);
    o = outbound_start(&opt, &err);
    assert_non_null(o);

    struct result ok = RESULT;
    static const char *const auth[] = {"Authorization: Bearer abc", NULL};
    call(o, "/ok", 5000, &ok, auth);
    wait_for(&ok, 1);
    assert_int_equal(ok.failure, OUTBOUND_OK);
    assert_int_equal(ok.status, 200);
    assert_string_equal(ok.body, "{\"ok\":true}");
    assert_string_equal(ok.header, "42");

    struct result echo = RESULT;
    call(o, "/echo", 5000, &echo, auth);
    wait_for(&echo, 1);
    assert_string_equal(echo.body, "Bearer abc");

    struct result missing = RESULT;
    call(o, "/missing", 5000, &missing, NULL);
    wait_for(&missing, 1);
    assert_int_equal(missing.failure, OUTBOUND_OK); /* an answer, whatever its status */
    assert_int_equal(missing.status, 404);

    struct result big = RESULT;
    call(o, "/big", 5000, &big, NULL);
    wait_for(&big, 1);
    assert_int_equal(big.failure, OUTBOUND_TOO_LARGE);

    struct result slow = RESULT;
    call(o, "/slow", 200, &slow, NULL);
    wait_for(&slow, 1);
    assert_int_equal(slow.failure, OUTBOUND_TIMEOUT);

    /* Many at once: every one is answered once. */
    struct result many = RESULT;
    for (int i = 0; i < 40; i++)
        call(o, "/ok", 5000, &many, NULL);
    wait_for(&many, 40);
    assert_int_equal(many.done, 40);

    /* Nothing listens on port 1: no answer, not a verdict. */
    struct result refused = RESULT;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:1/");
    struct outbound_call c = {.method = "GET", .url = url, .timeout_ms = 2000, .done = on_done, .ctx = &refused};
    assert_int_equal(outbound_submit(o, &c, &err), ERR_OK);
    wait_for(&refused, 1);
    assert_int_equal(refused.failure, OUTBOUND_NETWORK);
    outbound_stop(o);
}

static void test_blocked_without_allow_list(void **state)
{
    struct outbound_options opt = {0};
    struct err err;
    struct outbound *o;
    struct result r = RESULT;
    (void)state;

    err_clear(&err);
    o = outbound_start(&opt, &err);
    call(o, "/ok", 5000, &r, NULL);
    wait_for(&r, 1);
    assert_int_equal(r.failure, OUTBOUND_BLOCKED);
    outbound_stop(o);

    assert_null(outbound_start(&(struct outbound_options){.allow = "not-a-cidr"}, &err));
    assert_int_equal(err.code, ERR_INVALID);
}

static int atoi_safe(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

static bool allowed(struct outbound *o, const char *ip)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(ip, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        inet_pton(AF_INET6, ip, &a->sin6_addr);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        inet_pton(AF_INET, ip, &a->sin_addr);
    }
    return outbound_address_allowed(o, &ss);
}

static void test_address_guard(void **state)
{
    struct err err;
    struct outbound *plain = outbound_start(&(struct outbound_options){0}, &err);
    struct outbound *lab = outbound_start(&(struct outbound_options){.allow = "10.1.0.0/16, ::1"}, &err);
    (void)state;

    const char *blocked[] = {"127.0.0.1", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254",  "100.64.0.1",
                             "0.0.0.0",   "::1",      "fe80::1",    "fd00::1",     "::ffff:127.0.0.1", "::ffff:169.254.169.254",
                             "224.0.0.1"};
    for (size_t i = 0; i < ARRAY_LEN(blocked); i++)
        if (allowed(plain, blocked[i]))
            fail_msg("%s should be refused", blocked[i]);
    const char *open[] = {"140.82.112.3", "8.8.8.8", "2606:4700::1111", "172.32.0.1"};
    for (size_t i = 0; i < ARRAY_LEN(open); i++)
        if (!allowed(plain, open[i]))
            fail_msg("%s should be allowed", open[i]);
    assert_true(allowed(lab, "10.1.2.3"));
    assert_false(allowed(lab, "10.2.0.1"));
    assert_true(allowed(lab, "::1"));
    assert_false(allowed(lab, "127.0.0.1"));
    outbound_stop(plain);
    outbound_stop(lab);
}

/* The address at offset (from the start; negative: from the end) of a block, as text. */
static void block_address(const char *cidr, int from_end, char *out, size_t n)
{
    unsigned char a[16];
    char text[64];
    int family, bits, len;

    snprintf(text, sizeof text, "%.*s", (int)strcspn(cidr, "/"), cidr);
    bits = atoi_safe(strchr(cidr, '/') + 1);
    family = strchr(text, ':') ? AF_INET6 : AF_INET;
    len = family == AF_INET ? 4 : 16;
    assert_int_equal(inet_pton(family, text, a), 1);
    if (from_end) /* the last address: every host bit set */
        for (int b = bits; b < len * 8; b++)
            a[b / 8] |= (unsigned char)(0x80 >> (b % 8));
    assert_non_null(inet_ntop(family, a, out, (socklen_t)n));
}

/* Every block of the table is refused at its first and last address, unless it carries IPv4 (judged by that). */
static void test_every_block(void **state)
{
    struct err err;
    struct outbound *plain = outbound_start(&(struct outbound_options){0}, &err);
    size_t n;
    const struct outbound_block *b = outbound_blocks(&n);
    char first[64], last[64];
    (void)state;

    assert_true(n >= 50);
    for (size_t i = 0; i < n; i++) {
        assert_true(b[i].name[0] && strncmp(b[i].rfc, "RFC ", 4) == 0);
        block_address(b[i].cidr, 0, first, sizeof first);
        block_address(b[i].cidr, 1, last, sizeof last);
        if (b[i].ipv4_at < 0) {
            if (allowed(plain, first) || allowed(plain, last))
                fail_msg("%s (%s, %s) should be refused: %s or %s", b[i].cidr, b[i].name, b[i].rfc, first, last);
        } else {
            /* the IPv4 address it carries decides: 255.255.255.255 (last) and 0.0.0.0 (first) are refused */
            assert_false(allowed(plain, first));
            assert_false(allowed(plain, last));
        }
    }
    outbound_stop(plain);
}

/* IPv6 forms that reach IPv4 space: the IPv4 address they carry is judged; Teredo is refused whole. */
static void test_ipv4_in_ipv6(void **state)
{
    struct err err;
    struct outbound *plain = outbound_start(&(struct outbound_options){0}, &err);
    struct outbound *lab = outbound_start(&(struct outbound_options){.allow = "127.0.0.0/8, 2001::/32"}, &err);
    (void)state;

    const char *refused[] = {
        "64:ff9b::127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::10.1.2.3",
        "64:ff9b::192.168.0.1", /* NAT64 (RFC 6052) */
        "64:ff9b:1::808:808",
        "64:ff9b:1:ffff::1", /* local-use NAT64 */
        "::127.0.0.1",
        "::169.254.169.254",
        "::10.0.0.1",
        "::0.0.0.1", /* IPv4-compatible */
        "::ffff:127.0.0.1",
        "::ffff:100.64.0.1",
        "::ffff:224.0.0.1", /* IPv4-mapped */
        "2002:7f00:1::",
        "2002:a9fe:a9fe::1",
        "2002:c0a8:101:1::1",
        "2002:a00:1::", /* 6to4 (RFC 3056) */
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "2001::1",
        "2001:0:ffff:ffff::", /* Teredo (RFC 4380) */
        "2001:db8::1",
        "3fff::1",
        "5f00::1",
        "100::1",
        "2001:2::1",
    };
    for (size_t i = 0; i < ARRAY_LEN(refused); i++)
        if (allowed(plain, refused[i]))
            fail_msg("%s should be refused", refused[i]);
    const char *open[] = {"64:ff9b::808:808", "64:ff9b::140.82.112.3", "::ffff:8.8.8.8",   "::8.8.8.8",
                          "2002:808:808::1",  "2001:4860:4860::8888",  "2a00:1450:4001::1"};
    for (size_t i = 0; i < ARRAY_LEN(open); i++)
        if (!allowed(plain, open[i]))
            fail_msg("%s should be allowed", open[i]);
    /* The allow-list speaks for the IPv4 address inside, and may name Teredo. */
    assert_true(allowed(lab, "64:ff9b::127.0.0.1"));
    assert_true(allowed(lab, "2002:7f00:1::"));
    assert_true(allowed(lab, "::ffff:127.0.0.1"));
    assert_true(allowed(lab, "2001:0:4136:e378:8000:63bf:3fff:fdd2"));
    assert_false(allowed(lab, "64:ff9b::a9fe:a9fe"));
    assert_false(allowed(lab, "2001:1::1"));
    outbound_stop(plain);
    outbound_stop(lab);
}

/* URL checks read the URL as libcurl parses it. */
static void test_url(void **state)
{
    static const char teams[] = ".webhook.office.com,.logic.azure.com";
    struct outbound_url u;
    (void)state;

    assert_true(outbound_url_parse("HTTPS://Acme.Webhook.Office.com:8443/webhookb2/x?a=1#f", &u));
    assert_string_equal(u.scheme, "https");
    assert_string_equal(u.host, "acme.webhook.office.com");
    assert_int_equal(u.port, 8443);
    assert_string_equal(u.path, "/webhookb2/x");
    assert_false(u.credentials);
    assert_true(outbound_url_parse("https://[::1]/", &u));
    assert_string_equal(u.host, "[::1]");
    assert_int_equal(u.port, 443);

    /* The probe's URL: the host is evil.example, whatever the text ends with. */
    assert_true(outbound_url_parse("https://evil.example#.webhook.office.com/x", &u));
    assert_string_equal(u.host, "evil.example");
    assert_false(outbound_url_is("https://evil.example#.webhook.office.com/x", "https", teams, "/"));
    assert_false(outbound_url_is("https://evil.example?.webhook.office.com/x", "https", teams, "/"));
    assert_false(outbound_url_is("https://acme.webhook.office.com@evil.example/x", "https", teams, "/"));
    assert_false(outbound_url_is("https://acme.webhook.office.com\\@evil.example/x", "https", teams, "/"));
    assert_false(outbound_url_is("https://evilwebhook.office.com/x", "https", teams, "/"));
    assert_false(outbound_url_is("https://webhook.office.com/x", "https", teams, "/"));
    assert_false(outbound_url_is("http://acme.webhook.office.com/x", "https", teams, "/"));
    assert_false(outbound_url_is("acme.webhook.office.com/x", "https", teams, "/"));
    assert_true(outbound_url_is("https://acme.webhook.office.com/webhookb2/x", "https", teams, "/"));
    assert_true(outbound_url_is("https://prod-1.westus.logic.azure.com:443/workflows/x?sig=y", "https", teams, "/"));

    /* Exact hosts, and paths after dot segments are resolved. */
    assert_true(outbound_url_is("https://hooks.slack.com/services/T0/B0/x", "https", "hooks.slack.com", "/services/"));
    assert_true(outbound_url_is("https://HOOKS.slack.com/services/T0/B0/x", "https", "hooks.slack.com", "/services/"));
    assert_false(outbound_url_is("https://hooks.slack.com/services/../api/x", "https", "hooks.slack.com", "/services/"));
    assert_false(outbound_url_is("https://hooks.slack.com/servicesx/x", "https", "hooks.slack.com", "/services/"));
    assert_false(outbound_url_is("https://hooks.slack.com.evil.example/services/x", "https", "hooks.slack.com", "/services/"));
    assert_false(outbound_url_is("https://x.hooks.slack.com/services/x", "https", "hooks.slack.com", "/services/"));
    assert_false(outbound_url_is("https://u:p@hooks.slack.com/services/x", "https", "hooks.slack.com", "/services/"));
    assert_false(outbound_url_is("https://@hooks.slack.com/services/x", "https", "hooks.slack.com", "/services/"));

    /* What curl refuses is no URL. */
    const char *bad[] = {"example.com", "https://", "https://exa mple.com", "javascript:alert(1)", "https://a:99999/", ""};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (outbound_url_parse(bad[i], &u))
            fail_msg("%s should not parse", bad[i]);
}

static int setup(void **state)
{
    (void)state;
    daemon_ = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, NULL,
                               MHD_OPTION_END);
    if (!daemon_)
        return -1;
    port = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    MHD_stop_daemon(daemon_);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls),         cmocka_unit_test(test_blocked_without_allow_list),
        cmocka_unit_test(test_address_guard), cmocka_unit_test(test_every_block),
        cmocka_unit_test(test_ipv4_in_ipv6),  cmocka_unit_test(test_url),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
