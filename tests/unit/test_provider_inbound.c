/*
 * Unit tests of the providers' inbound webhooks (provider.h: webhook_check,
 * webhook_parse; docs/api.md, "Webhooks"), reached through the registry as
 * the router reaches them: the signature checks against published and
 * independently made vectors (the HMACs here are OpenSSL's, not slipway's
 * comparison), every way a signature can be wrong, the replay window's
 * edges with the time injected, and the parsing of payloads in the shape
 * each provider sends, and of every way they can be broken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <strings.h>

#include "core/err.h"
#include "providers/inbound.h"
#include "providers/registry.h"

/* ---- a delivery, as it arrives ---- */

#define MAX_HEADERS 8
#define SECRET "whsec_Qm9vdHN0cmFwLXRoZS1zbGlwd2F5LWhvb2s"

static struct {
    char names[MAX_HEADERS][64];
    char values[MAX_HEADERS][1024];
    int n;
    char body[16384];
    size_t len;
    const char *secret;
    int64_t now;
    char digest[PROVIDER_DIGEST_SIZE]; /* what a check found valid */
} d;

/* Header names are matched without regard to case, as HTTP (and libmicrohttpd) do. */
static const char *d_lookup(const void *req, const char *name)
{
    (void)req;
    for (int i = 0; i < d.n; i++)
        if (strcasecmp(d.names[i], name) == 0)
            return d.values[i];
    return NULL;
}

static void d_new(const char *secret, int64_t now)
{
    memset(&d, 0, sizeof d);
    d.secret = secret;
    d.now = now;
}

static void d_body(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(d.body, sizeof d.body, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof d.body);
    d.len = (size_t)n;
}

static void d_drop(const char *name)
{
    for (int i = 0; i < d.n; i++) {
        if (strcasecmp(d.names[i], name) != 0)
            continue;
        memmove(&d.names[i], &d.names[i + 1], (size_t)(d.n - i - 1) * sizeof d.names[0]);
        memmove(&d.values[i], &d.values[i + 1], (size_t)(d.n - i - 1) * sizeof d.values[0]);
        d.n--;
        return;
    }
}

/* Sets a header (replacing one of that name). */
static void d_header(const char *name, const char *fmt, ...)
{
    va_list ap;
    int n;

    d_drop(name);
    assert_true(d.n < MAX_HEADERS);
    snprintf(d.names[d.n], sizeof d.names[0], "%s", name);
    va_start(ap, fmt);
    n = vsnprintf(d.values[d.n], sizeof d.values[0], fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof d.values[0]);
    d.n++;
}

/* The lower-case hex HMAC-SHA256 of the body under key, made by OpenSSL directly. */
static void hmac_hex(const char *key, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    assert_non_null(HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)d.body, d.len, md, &n));
    assert_int_equal(n, 32);
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void d_sign(const char *header, const char *prefix, const char *key)
{
    char hex[65];
    hmac_hex(key, hex);
    d_header(header, "%s%s", prefix, hex);
}

static struct provider_inbound d_inbound(void)
{
    struct provider_inbound in = {d_lookup, &d, d.body, d.len, d.secret, d.now, NULL, d.digest};
    return in;
}

static const struct provider *webhook_provider(const char *type)
{
    const struct provider *p = provider_by_type(type);
    assert_non_null(p);
    assert_non_null(p->ops->webhook_check);
    assert_non_null(p->ops->webhook_parse);
    return p;
}

static bool d_check(const char *type)
{
    struct provider_inbound in = d_inbound();
    return webhook_provider(type)->ops->webhook_check(&in);
}

/* What a caller that reuses an event would leave in it: webhook_parse zeroes it first. */
static void dirty(struct provider_event *ev)
{
    memset(ev, 'x', sizeof *ev);
    ev->kind = EVENT_BUILD;
    ev->delivery[sizeof ev->delivery - 1] = ev->run_id[sizeof ev->run_id - 1] = ev->status[sizeof ev->status - 1] = '\0';
    ev->conclusion[sizeof ev->conclusion - 1] = ev->ref[sizeof ev->ref - 1] = ev->sha[sizeof ev->sha - 1] = '\0';
    ev->url[sizeof ev->url - 1] = '\0';
}

static enum err_code d_parse(const char *type, struct provider_event *ev, struct err *err)
{
    struct provider_inbound in = d_inbound();
    err_clear(err);
    dirty(ev);
    return webhook_provider(type)->ops->webhook_parse(&in, ev, err);
}

/* The delivery parses as type into ev. */
static void parse_ok(const char *type, struct provider_event *ev)
{
    struct err err;
    if (d_parse(type, ev, &err) != ERR_OK)
        fail_msg("%s refused %.200s: %s", type, d.body, err.message);
}

/* The delivery is refused with code, and a message that says why (holds part). */
static void parse_refused(const char *type, enum err_code code, const char *part)
{
    struct provider_event ev;
    struct err err;
    enum err_code rc = d_parse(type, &ev, &err);

    if (rc != code || err.code != code || !strstr(err.message, part))
        fail_msg("%s: %d \"%s\", expected %d with \"%s\"", type, (int)rc, err.message, (int)code, part);
}

/* A body (a printf format and up to six texts) that a provider refuses with code, saying part. */
struct refusal {
    const char *fmt, *args[6];
    enum err_code code;
    const char *part;
};

/* Each body, with the delivery's headers as they are. */
static void refuse_all(const char *type, const struct refusal *r, size_t n)
{
    for (; n > 0; n--, r++) {
        d_body(r->fmt, r->args[0], r->args[1], r->args[2], r->args[3], r->args[4], r->args[5]);
        parse_refused(type, r->code, r->part);
    }
}

static void assert_event(const struct provider_event *ev, enum provider_event_kind kind, const char *run_id, const char *status,
                         const char *conclusion, const char *ref, const char *sha)
{
    if (ev->kind != kind)
        fail_msg("event %s, expected %s", provider_event_kind_name(ev->kind), provider_event_kind_name(kind));
    assert_string_equal(ev->run_id, run_id);
    assert_string_equal(ev->status, status);
    assert_string_equal(ev->conclusion, conclusion);
    assert_string_equal(ev->ref, ref);
    assert_string_equal(ev->sha, sha);
}

/* ---- signatures ---- */

/* GitHub's published example (docs.github.com, "Validating webhook deliveries"). */
static void test_github_published_vector(void **state)
{
    static const char *const types[] = {"GITHUB", "GITHUB_ACTIONS"};
    static const char want[] = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    char hex[65];
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        d_new("It's a Secret to Everybody", 0);
        d_body("Hello, World!");
        hmac_hex(d.secret, hex);
        assert_string_equal(hex, want); /* the test's own HMAC agrees with GitHub's */
        d_header("X-Hub-Signature-256", "sha256=%s", want);
        assert_true(d_check(types[i]));
        d_body("Hello, World?");
        assert_false(d_check(types[i]));
    }
}

/* The providers that sign the body with an HMAC: the header, its prefix, and the signed time where there is one. */
struct signer {
    const char *type, *header, *prefix, *at;
};
static const struct signer signers[] = {
    {"GITHUB", "X-Hub-Signature-256", "sha256=", NULL},
    {"GITHUB_ACTIONS", "X-Hub-Signature-256", "sha256=", NULL},
    {"CIRCLECI", "circleci-signature", "v1=", "happened_at"},
    {"JENKINS", "X-Slipway-Signature", "sha256=", "sentAt"},
};

#define T0 INT64_C(1773137520) /* 2026-03-10T10:12:00Z */
#define T0_TEXT "2026-03-10T10:12:00Z"

/* A fresh, well-signed delivery for s (its body carries the signed time where the provider signs one). */
static void signed_delivery(const struct signer *s)
{
    d_new(SECRET, T0);
    d_body("{\"%s\": \"" T0_TEXT "\", \"id\": \"3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f\", \"zen\": \"Keep it logically awesome.\"}",
           s->at ? s->at : "at");
    d_sign(s->header, s->prefix, SECRET);
}

static void test_hmac_signatures(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(signers); i++) {
        const struct signer *s = &signers[i];
        const char *other_prefix = strcmp(s->prefix, "v1=") == 0 ? "sha256=" : "v1=";
        char hex[65], upper[65];

        signed_delivery(s);
        assert_true(d_check(s->type));
        hmac_hex(SECRET, hex);

        d_sign(s->header, s->prefix, "not-the-secret"); /* another webhook's secret */
        assert_false(d_check(s->type));

        /* One flipped bit anywhere in the body. */
        signed_delivery(s);
        for (size_t k = 0; k < d.len; k++) {
            d.body[k] ^= 0x01;
            if (d_check(s->type))
                fail_msg("%s: accepted a body changed at byte %zu", s->type, k);
            d.body[k] ^= 0x01;
        }
        assert_true(d_check(s->type));
        d.len--; /* the last byte cut */
        assert_false(d_check(s->type));
        d.len++;

        d_drop(s->header);
        assert_false(d_check(s->type));
        d_header(s->header, "%s", "");
        assert_false(d_check(s->type));
        d_header(s->header, "%s", s->prefix);
        assert_false(d_check(s->type));
        d_header(s->header, "%s", hex); /* no prefix */
        assert_false(d_check(s->type));
        d_header(s->header, "%s%s", other_prefix, hex);
        assert_false(d_check(s->type));
        d_header(s->header, "sha1=%s", hex);
        assert_false(d_check(s->type));
        d_header(s->header, "%.*s%s", (int)strlen(s->prefix) - 1, s->prefix, hex); /* "sha256" without its "=" */
        assert_false(d_check(s->type));
        d_header(s->header, "%s%.63s", s->prefix, hex); /* a digit short */
        assert_false(d_check(s->type));
        d_header(s->header, "%s%s0", s->prefix, hex); /* a digit long */
        assert_false(d_check(s->type));
        d_header(s->header, "%s%.63sg", s->prefix, hex); /* not hex */
        assert_false(d_check(s->type));
        d_header(s->header, "%s%s", s->prefix, "not a signature at all");
        assert_false(d_check(s->type));

        /*
         * GitHub and CircleCI send the digest in lower case (the hexdigest
         * their documented verification examples compare), as does
         * `openssl dgst -hmac`, which docs/api.md has a Jenkins job use:
         * the check takes exactly that, so upper case is refused.
         */
        for (int k = 0; k < 65; k++)
            upper[k] = (char)(hex[k] >= 'a' && hex[k] <= 'f' ? hex[k] - 'a' + 'A' : hex[k]);
        assert_string_not_equal(upper, hex);
        d_header(s->header, "%s%s", s->prefix, upper);
        assert_false(d_check(s->type));

        /* No secret, or an empty one, admits nothing, even a body signed under the empty key. */
        signed_delivery(s);
        d.secret = NULL;
        assert_false(d_check(s->type));
        d.secret = "";
        d_sign(s->header, s->prefix, "");
        assert_false(d_check(s->type));
    }
}

/* A check that finds the signature valid leaves the entry that matched as the body's digest, and nothing else does. */
static void assert_digest(const struct signer *s, bool valid, const char *hex)
{
    memset(d.digest, 0, sizeof d.digest);
    assert_int_equal(d_check(s->type), valid);
    assert_string_equal(d.digest, hex);
}

/* CircleCI's header is a comma-separated list of versioned signatures; one good v1 is enough, and it is the digest. */
static void test_circleci_signature_list(void **state)
{
    const struct signer *s = &signers[2];
    char hex[65];
    (void)state;

    assert_string_equal(s->type, "CIRCLECI");
    signed_delivery(s);
    hmac_hex(SECRET, hex);
    d_header(s->header, "v0=abc123,v1=%s", hex);
    assert_digest(s, true, hex);
    d_header(s->header, "v1=%064d, v1=%s", 0, hex);
    assert_digest(s, true, hex);
    d_header(s->header, "v1=%s,v2=ffff", hex);
    assert_digest(s, true, hex);
    d_header(s->header, "v1=%s,", hex);
    assert_digest(s, true, hex);
    d_header(s->header, "v1=%064d,v1=%064d", 0, 1);
    assert_digest(s, false, "");
    d_header(s->header, "v2=%s", hex); /* only v1 is known */
    assert_false(d_check(s->type));
    d_header(s->header, ",,,");
    assert_false(d_check(s->type));
}

/* GitLab does not sign: X-Gitlab-Token is the secret itself, which does not cover the body. */
static void test_gitlab_token(void **state)
{
    static const char *const types[] = {"GITLAB", "GITLAB_CI"};
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        d_new(SECRET, T0);
        d_body("{\"object_kind\": \"push\"}");
        d_header("X-Gitlab-Token", "%s", SECRET);
        assert_true(d_check(types[i]));
        d_body("{\"object_kind\": \"tag_push\"}");
        assert_true(d_check(types[i]));
        d.now = 0; /* no signed time, no window */
        assert_true(d_check(types[i]));

        d_header("X-Gitlab-Token", "%s", "not-the-secret");
        assert_false(d_check(types[i]));
        d_header("X-Gitlab-Token", "%.*s", (int)strlen(SECRET) - 1, SECRET); /* a prefix of it */
        assert_false(d_check(types[i]));
        d_header("X-Gitlab-Token", "%sx", SECRET);
        assert_false(d_check(types[i]));
        d_header("X-Gitlab-Token", "%s", "WHSEC_QM9VDHN0CMFWLXROZS1ZBGLWD2F5LWHVB2S"); /* case matters */
        assert_false(d_check(types[i]));
        d_header("X-Gitlab-Token", " %s", SECRET);
        assert_false(d_check(types[i]));
        d_header("X-Gitlab-Token", "%s", "");
        assert_false(d_check(types[i]));
        d_drop("X-Gitlab-Token");
        assert_false(d_check(types[i]));
        d_header("X-Hub-Signature-256", "%s", SECRET); /* the right secret in another provider's header */
        assert_false(d_check(types[i]));

        d_header("X-Gitlab-Token", "%s", SECRET);
        d.secret = NULL;
        assert_false(d_check(types[i]));
        d.secret = "";
        d_header("X-Gitlab-Token", "%s", "");
        assert_false(d_check(types[i]));
    }
}

/* A signer's delivery with its signed time as the JSON value at (a quoted text, a number, or absent: NULL), well signed. */
static void timed_delivery(const struct signer *s, const char *at, int64_t now)
{
    d_new(SECRET, now);
    if (at)
        d_body("{\"id\": \"8d0e6f3a-1b2c-4d5e-8f90-a1b2c3d4e5f6\", \"%s\": %s, \"type\": \"workflow-completed\"}", s->at, at);
    else
        d_body("{\"id\": \"8d0e6f3a-1b2c-4d5e-8f90-a1b2c3d4e5f6\", \"type\": \"workflow-completed\"}");
    d_sign(s->header, s->prefix, SECRET);
}

/* The delivery as it stands is signed and shown fresh: its check passes, and its parse does not refuse it as a replay. */
static bool shown_fresh(const struct signer *s)
{
    struct provider_event ev;
    struct err err;

    return d_check(s->type) && d_parse(s->type, &ev, &err) != ERR_UNAUTHENTICATED;
}

static bool fresh(const struct signer *s, const char *at, int64_t now)
{
    timed_delivery(s, at, now);
    return shown_fresh(s);
}

/* CircleCI's happened_at and the Jenkins callback's sentAt: within PROVIDER_REPLAY_WINDOW_S of now, either way, or refused. */
static void test_replay_window(void **state)
{
    const int64_t w = PROVIDER_REPLAY_WINDOW_S;
    (void)state;

    assert_int_equal(w, 300);
    for (size_t i = 2; i < ARRAY_LEN(signers); i++) {
        const struct signer *s = &signers[i];

        assert_true(fresh(s, "\"" T0_TEXT "\"", T0));
        assert_true(fresh(s, "\"" T0_TEXT "\"", T0 + w));      /* signed 5 minutes ago */
        assert_false(fresh(s, "\"" T0_TEXT "\"", T0 + w + 1)); /* stale */
        assert_true(fresh(s, "\"" T0_TEXT "\"", T0 - w));      /* 5 minutes ahead: a sender's clock */
        assert_false(fresh(s, "\"" T0_TEXT "\"", T0 - w - 1)); /* from the future */
        /* CircleCI sends milliseconds; a sender east of UTC may send its offset. */
        assert_true(fresh(s, "\"2026-03-10T10:12:00.317Z\"", T0 + w));
        assert_false(fresh(s, "\"2026-03-10T10:12:00.317Z\"", T0 + w + 1));
        assert_true(fresh(s, "\"2026-03-10T11:12:00+01:00\"", T0));
        assert_false(fresh(s, "\"2026-03-10T11:12:00+01:00\"", T0 + 3600));
        assert_false(fresh(s, "\"2020-01-01T00:00:00Z\"", T0));
        assert_false(fresh(s, "\"2099-01-01T00:00:00Z\"", T0));

        /* A time that cannot be read proves nothing. */
        assert_false(fresh(s, NULL, T0));
        assert_false(fresh(s, "null", T0));
        assert_false(fresh(s, "1773137520", T0)); /* epoch seconds */
        assert_false(fresh(s, "\"\"", T0));
        assert_false(fresh(s, "\"yesterday\"", T0));
        assert_false(fresh(s, "\"2026-03-10 10:12:00\"", T0));
        assert_false(fresh(s, "\"2026-03-10T10:12:00\"", T0)); /* no zone */
        assert_false(fresh(s, "[\"" T0_TEXT "\"]", T0));

        /* The time is read from the signed body only: well signed but not a JSON object, it cannot be shown fresh. */
        d_new(SECRET, T0);
        d_body("%s=" T0_TEXT, s->at);
        d_sign(s->header, s->prefix, SECRET);
        assert_false(shown_fresh(s));
        d_body("[{\"%s\": \"" T0_TEXT "\"}]", s->at);
        d_sign(s->header, s->prefix, SECRET);
        assert_false(shown_fresh(s));
        /* The check reads no body: the time is the parse's, once a copy of a delivery recorded before was answered. */
        timed_delivery(s, "\"2020-01-01T00:00:00Z\"", T0);
        assert_true(d_check(s->type));
        /* A fresh time does not save a bad signature. */
        timed_delivery(s, "\"" T0_TEXT "\"", T0);
        d_sign(s->header, s->prefix, "not-the-secret");
        assert_false(d_check(s->type));
    }

    /* GitHub signs no time: an old delivery is caught by its id alone, not here. */
    signed_delivery(&signers[0]);
    d.now = 0;
    assert_true(d_check("GITHUB"));
}

/* ---- GitHub and GitHub Actions ---- */

#define GH_REPO                                                                                                                    \
    "\"repository\": {\"id\": 186853002, \"name\": \"mobile-app\", \"full_name\": \"octo-org/mobile-app\", \"private\": true, "    \
    "\"owner\": {\"login\": \"octo-org\", \"id\": 6811672, \"type\": \"Organization\"}, "                                          \
    "\"html_url\": \"https://github.com/octo-org/mobile-app\", \"default_branch\": \"main\"}, "                                    \
    "\"sender\": {\"login\": \"ada\", \"id\": 21031067, \"type\": \"User\"}"

/* A push of ref (before, after) as GitHub sends it. */
#define GH_PUSH                                                                                                                    \
    "{\"ref\": %s, \"before\": \"%s\", \"after\": %s, \"created\": %s, \"deleted\": false, \"forced\": false, "                    \
    "\"base_ref\": null, \"compare\": \"https://github.com/octo-org/mobile-app/compare/%s\", "                                     \
    "\"commits\": [{\"id\": \"6113728f27ae82c7b1a177c8d03f9e96e0adf246\", \"distinct\": true, \"message\": \"Release notes\", "    \
    "\"timestamp\": \"2026-03-10T10:11:40Z\", \"author\": {\"name\": \"Ada\", \"email\": \"ada@example.com\"}, "                   \
    "\"added\": [], \"removed\": [], \"modified\": [\"CHANGELOG.md\"]}], "                                                         \
    "\"head_commit\": {\"id\": \"6113728f27ae82c7b1a177c8d03f9e96e0adf246\", \"message\": \"Release notes\"}, "                    \
    "\"pusher\": {\"name\": \"ada\", \"email\": \"ada@example.com\"}, " GH_REPO "}"

#define GH_SHA "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
#define GH_ZERO "0000000000000000000000000000000000000000"

/* A workflow_run event: action, the run's status and conclusion (JSON values). */
#define GH_RUN                                                                                                                     \
    "{\"action\": \"%s\", \"workflow_run\": {\"id\": %s, \"name\": \"Release\", \"node_id\": \"WFR_kwLOBZmTH88AAAAB\", "           \
    "\"head_branch\": \"release/2.0\", \"head_sha\": \"acb5820ced9479c074f688cc328bf03f341a511d\", "                               \
    "\"path\": \".github/workflows/release.yml\", \"display_title\": \"Release 2.0\", \"run_number\": 562, "                       \
    "\"event\": \"workflow_dispatch\", \"status\": %s, \"conclusion\": %s, \"workflow_id\": 159038, "                              \
    "\"check_suite_id\": 414944374, \"url\": \"https://api.github.com/repos/octo-org/mobile-app/actions/runs/30433642\", "         \
    "\"html_url\": \"https://github.com/octo-org/mobile-app/actions/runs/30433642\", \"created_at\": \"2026-03-10T10:00:00Z\", "   \
    "\"updated_at\": \"2026-03-10T10:12:00Z\", \"run_attempt\": 1, \"run_started_at\": \"2026-03-10T10:00:05Z\"}, "                \
    "\"workflow\": {\"id\": 159038, \"name\": \"Release\", \"path\": \".github/workflows/release.yml\", \"state\": "               \
    "\"active\"}, " GH_REPO "}"

static void github_delivery(const char *event)
{
    d_new(NULL, 0);
    d_header("X-GitHub-Event", "%s", event);
    d_header("X-GitHub-Delivery", "%s", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    d_header("X-GitHub-Hook-ID", "%s", "474829301");
}

static void test_github_push(void **state)
{
    static const char *const types[] = {"GITHUB", "GITHUB_ACTIONS"};
    struct provider_event ev;
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        github_delivery("push");
        d_body(GH_PUSH, "\"refs/tags/v1.2.0\"", GH_ZERO, "\"" GH_SHA "\"", "true", "v1.2.0");
        parse_ok(types[i], &ev);
        assert_string_equal(ev.delivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        assert_event(&ev, EVENT_TAG, "", "", "", "v1.2.0", GH_SHA);
        assert_string_equal(ev.url, "https://github.com/octo-org/mobile-app/compare/v1.2.0");

        d_body(GH_PUSH, "\"refs/heads/release/2.0\"", "95790bf891e76fee5e1747ab589903a6a1f80f22", "\"" GH_SHA "\"", "false",
               "95790bf891e7...6113728f27ae");
        parse_ok(types[i], &ev);
        assert_event(&ev, EVENT_PUSH, "", "", "", "release/2.0", GH_SHA);
        assert_string_equal(ev.url, "https://github.com/octo-org/mobile-app/compare/95790bf891e7...6113728f27ae");

        /* A branch deleted: after is all zeros. */
        d_body(GH_PUSH, "\"refs/heads/old\"", GH_SHA, "\"" GH_ZERO "\"", "false", "6113728f27ae...000000000000");
        parse_ok(types[i], &ev);
        assert_event(&ev, EVENT_PUSH, "", "", "", "old", GH_ZERO);
    }
}

static void test_github_workflow_run(void **state)
{
    static const struct {
        const char *action, *status, *conclusion, *want_status, *want_conclusion;
    } runs[] = {
        {"requested", "\"requested\"", "null", "queued", ""},
        {"requested", "\"queued\"", "null", "queued", ""},
        {"requested", "\"pending\"", "null", "queued", ""},
        {"requested", "\"waiting\"", "null", "queued", ""},
        {"in_progress", "\"in_progress\"", "null", "running", ""},
        {"completed", "\"completed\"", "\"success\"", "completed", "succeeded"},
        {"completed", "\"completed\"", "\"neutral\"", "completed", "succeeded"},
        {"completed", "\"completed\"", "\"failure\"", "completed", "failed"},
        {"completed", "\"completed\"", "\"timed_out\"", "completed", "failed"},
        {"completed", "\"completed\"", "\"action_required\"", "completed", "failed"},
        {"completed", "\"completed\"", "\"startup_failure\"", "completed", "failed"},
        {"completed", "\"completed\"", "\"stale\"", "completed", "failed"},
        {"completed", "\"completed\"", "\"cancelled\"", "completed", "cancelled"},
        {"completed", "\"completed\"", "\"skipped\"", "completed", "cancelled"},
        {"completed", "\"completed\"", "null", "completed", "failed"},    /* ended, and not known to have succeeded */
        {"in_progress", "\"in_progress\"", "\"success\"", "running", ""}, /* no conclusion before the end */
    };
    struct provider_event ev;
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(runs); i++) {
        github_delivery("workflow_run");
        d_body(GH_RUN, runs[i].action, "30433642", runs[i].status, runs[i].conclusion);
        parse_ok("GITHUB_ACTIONS", &ev);
        assert_event(&ev, EVENT_BUILD, "30433642", runs[i].want_status, runs[i].want_conclusion, "release/2.0",
                     "acb5820ced9479c074f688cc328bf03f341a511d");
        assert_string_equal(ev.url, "https://github.com/octo-org/mobile-app/actions/runs/30433642");
    }
    /* Ids beyond 32 bits, as GitHub's now are. */
    d_body(GH_RUN, "completed", "12345678901234", "\"completed\"", "\"success\"");
    parse_ok("GITHUB", &ev);
    assert_string_equal(ev.run_id, "12345678901234");
}

static void test_github_other_events(void **state)
{
    struct provider_event ev;
    (void)state;

    github_delivery("ping");
    d_body("{\"zen\": \"Design for failure.\", \"hook_id\": 474829301, \"hook\": {\"type\": \"Repository\", \"id\": 474829301, "
           "\"active\": true, \"events\": [\"push\", \"workflow_run\"], \"config\": {\"content_type\": \"json\", "
           "\"insecure_ssl\": \"0\", \"url\": \"https://slipway.example.com/hooks/v1/abc\"}}, " GH_REPO "}");
    parse_ok("GITHUB", &ev);
    assert_string_equal(ev.delivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    assert_event(&ev, EVENT_OTHER, "", "", "", "", "");
    assert_string_equal(ev.url, "");

    github_delivery("issues");
    d_body("{\"action\": \"opened\", \"issue\": {\"number\": 1}, " GH_REPO "}");
    parse_ok("GITHUB", &ev);
    assert_event(&ev, EVENT_OTHER, "", "", "", "", "");

    /* A push to a ref that is neither a branch nor a tag is recorded, and nothing waits for it. */
    github_delivery("push");
    d_body(GH_PUSH, "\"refs/notes/commits\"", GH_ZERO, "\"" GH_SHA "\"", "true", "x");
    parse_ok("GITHUB", &ev);
    assert_int_equal(ev.kind, EVENT_OTHER);
}

static void test_github_refusals(void **state)
{
    char long_text[400];
    (void)state;

    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';

    /* The headers that name the delivery and its kind. */
    github_delivery("push");
    d_body(GH_PUSH, "\"refs/heads/main\"", GH_ZERO, "\"" GH_SHA "\"", "false", "x");
    d_drop("X-GitHub-Delivery");
    parse_refused("GITHUB", ERR_INVALID, "X-GitHub-Delivery");
    d_header("X-GitHub-Delivery", "%s", "");
    parse_refused("GITHUB", ERR_INVALID, "X-GitHub-Delivery");
    d_header("X-GitHub-Delivery", "%.256s", long_text); /* one byte longer than an id may be */
    parse_refused("GITHUB", ERR_INVALID, "delivery id is longer than 255 bytes");
    d_header("X-GitHub-Delivery", "%s", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    d_drop("X-GitHub-Event");
    parse_refused("GITHUB", ERR_INVALID, "X-GitHub-Event");

    /* Bodies that are not a JSON object. */
    static const char *const not_json[] = {"",
                                           "payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D",
                                           "{\"ref\": ",
                                           "[{\"ref\": \"refs/heads/main\"}]",
                                           "\"refs/heads/main\"",
                                           "null",
                                           "{\"ref\": \"refs/heads/a\", \"ref\": \"refs/heads/b\"}"};
    for (size_t i = 0; i < ARRAY_LEN(not_json); i++) {
        github_delivery("push");
        d_body("%s", not_json[i]);
        parse_refused("GITHUB", ERR_MALFORMED_JSON, "the body");
    }
    /* A NUL inside the body. */
    github_delivery("push");
    d_body("{\"ref\": \"refs/heads/main\"}");
    d.body[3] = '\0';
    parse_refused("GITHUB", ERR_MALFORMED_JSON, "not valid JSON");

    /* A push without what a push is. */
    github_delivery("push");
    const struct refusal push_refusals[] = {
        {"{\"after\": \"" GH_SHA "\"}", {NULL}, ERR_INVALID, "ref"},
        {GH_PUSH, {"42", GH_ZERO, "\"" GH_SHA "\"", "false", "x"}, ERR_INVALID, "ref"},
        {GH_PUSH, {"null", GH_ZERO, "\"" GH_SHA "\"", "false", "x"}, ERR_INVALID, "ref"},
        {GH_PUSH, {"\"refs/heads/main\"", GH_ZERO, "{\"id\": \"" GH_SHA "\"}", "false", "x"}, ERR_INVALID, "sha"},
        {GH_PUSH, {"\"refs/heads/main\"", GH_ZERO, "[]", "false", "x"}, ERR_INVALID, "sha"},
        {"{\"ref\": \"refs/heads/%s\", \"after\": \"" GH_SHA "\"}", {long_text}, ERR_INVALID, "ref is longer than 255 bytes"},
    };
    refuse_all("GITHUB", push_refusals, ARRAY_LEN(push_refusals));

    /* A workflow_run without what a run is. */
    github_delivery("workflow_run");
    const struct refusal run_refusals[] = {
        {"{\"action\": \"completed\"}", {NULL}, ERR_INVALID, "workflow_run"},
        {"{\"action\": \"completed\", \"workflow_run\": \"30433642\"}", {NULL}, ERR_INVALID, "workflow_run"},
        {"{\"action\": \"completed\", \"workflow_run\": [30433642]}", {NULL}, ERR_INVALID, "workflow_run"},
        {"{\"action\": \"completed\", \"workflow_run\": {\"status\": \"completed\", \"conclusion\": \"success\"}}",
         {NULL},
         ERR_INVALID,
         "id"},
        {GH_RUN, {"completed", "null", "\"completed\"", "\"success\""}, ERR_INVALID, "id"},
        {GH_RUN, {"completed", "30433642.5", "\"completed\"", "\"success\""}, ERR_INVALID, "id"},
        {GH_RUN, {"completed", "{\"id\": 1}", "\"completed\"", "\"success\""}, ERR_INVALID, "id"},
        {GH_RUN, {"completed", "30433642", "\"exploded\"", "\"success\""}, ERR_INVALID, "status"},
        {GH_RUN, {"completed", "30433642", "3", "\"success\""}, ERR_INVALID, "status"},
        {GH_RUN, {"completed", "30433642", "null", "null"}, ERR_INVALID, "status"},
        {"{\"workflow_run\": {\"id\": \"%s\", \"status\": \"completed\"}}",
         {long_text},
         ERR_INVALID,
         "run id is longer than 255 bytes"},
        {"{\"workflow_run\": {\"id\": 1, \"status\": \"completed\", \"head_sha\": \"%s\"}}",
         {long_text},
         ERR_INVALID,
         "sha is longer than 63 bytes"},
        {"{\"workflow_run\": {\"id\": 1, \"status\": \"completed\", \"html_url\": true}}", {NULL}, ERR_INVALID, "url"},
    };
    refuse_all("GITHUB_ACTIONS", run_refusals, ARRAY_LEN(run_refusals));
}

/* ---- GitLab and GitLab CI ---- */

#define GL_PROJECT                                                                                                                 \
    "\"project\": {\"id\": 15, \"name\": \"Mobile App\", \"description\": \"\", "                                                  \
    "\"web_url\": \"https://gitlab.example.com/acme/mobile-app\", \"git_ssh_url\": "                                               \
    "\"git@gitlab.example.com:acme/mobile-app.git\", "                                                                             \
    "\"namespace\": \"Acme\", \"visibility_level\": 0, \"path_with_namespace\": \"acme/mobile-app\", \"default_branch\": "         \
    "\"main\"}"

/* A Push Hook or Tag Push Hook: object_kind, ref, before, after, checkout_sha (JSON values where quoted so). */
#define GL_PUSH                                                                                                                    \
    "{\"object_kind\": \"%s\", \"event_name\": \"%s\", \"before\": \"%s\", \"after\": \"%s\", \"ref\": %s, "                       \
    "\"ref_protected\": true, \"checkout_sha\": %s, \"message\": null, \"user_id\": 4, \"user_name\": \"Ada Lovelace\", "          \
    "\"user_username\": \"ada\", \"user_email\": \"\", \"project_id\": 15, " GL_PROJECT ", "                                       \
    "\"commits\": [{\"id\": \"da1560886d4f094c3e6c9ef40349f7d38b5d27d7\", \"message\": \"Fix the release build\\n\", "             \
    "\"title\": \"Fix the release build\", \"timestamp\": \"2026-03-10T10:11:40+00:00\", "                                         \
    "\"url\": \"https://gitlab.example.com/acme/mobile-app/-/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7\", "                  \
    "\"author\": {\"name\": \"Ada Lovelace\", \"email\": \"[REDACTED]\"}, \"added\": [], \"modified\": [\"build.gradle\"], "       \
    "\"removed\": []}], \"total_commits_count\": 1, \"push_options\": {}, "                                                        \
    "\"repository\": {\"name\": \"Mobile App\", \"url\": \"git@gitlab.example.com:acme/mobile-app.git\", "                         \
    "\"homepage\": \"https://gitlab.example.com/acme/mobile-app\", \"visibility_level\": 0}}"

#define GL_SHA "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"

/* A Pipeline Hook: the pipeline's id and status (JSON values). */
#define GL_PIPELINE                                                                                                                \
    "{\"object_kind\": \"pipeline\", \"object_attributes\": {\"id\": %s, \"iid\": 3, \"name\": null, \"ref\": \"main\", "          \
    "\"tag\": false, \"sha\": \"bcbb5ec396a2c0f828686f14fac9b80b780504f2\", "                                                      \
    "\"before_sha\": \"0000000000000000000000000000000000000000\", \"source\": \"push\", \"status\": %s, "                         \
    "\"detailed_status\": %s, \"stages\": [\"build\", \"test\"], \"created_at\": \"2026-03-10 10:00:00 UTC\", "                    \
    "\"finished_at\": null, \"duration\": null, \"queued_duration\": 4, \"variables\": [], "                                       \
    "\"url\": \"https://gitlab.example.com/acme/mobile-app/-/pipelines/31\"}, \"merge_request\": null, "                           \
    "\"user\": {\"id\": 4, \"name\": \"Ada Lovelace\", \"username\": \"ada\"}, " GL_PROJECT ", "                                   \
    "\"commit\": {\"id\": \"bcbb5ec396a2c0f828686f14fac9b80b780504f2\", \"message\": \"Fix the release build\"}, "                 \
    "\"source_pipeline\": null, \"builds\": [{\"id\": 380, \"stage\": \"build\", \"name\": \"build-android\", "                    \
    "\"status\": \"pending\", \"allow_failure\": false}]}"

static void gitlab_delivery(const char *event)
{
    d_new(NULL, 0);
    d_header("X-Gitlab-Event", "%s", event);
    d_header("X-Gitlab-Event-UUID", "%s", "13792a34-cac6-4fda-95a8-c58e00a3954e");
    d_header("Idempotency-Key", "%s", "f5e5f430-f57b-4e6e-9fac-d9128cd7232f");
    d_header("X-Gitlab-Webhook-UUID", "%s", "e7b8b5e5-6b3a-4f1e-9e0a-2d2c7a3b1c4d");
    d_header("X-Gitlab-Instance", "%s", "https://gitlab.example.com");
}

static void test_gitlab_push_and_tag(void **state)
{
    static const char *const types[] = {"GITLAB", "GITLAB_CI"};
    struct provider_event ev;
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(types); i++) {
        gitlab_delivery("Push Hook");
        d_body(GL_PUSH, "push", "push", "95790bf891e76fee5e1747ab589903a6a1f80f22", GL_SHA, "\"refs/heads/release/2.0\"",
               "\"" GL_SHA "\"");
        parse_ok(types[i], &ev);
        assert_string_equal(ev.delivery, "f5e5f430-f57b-4e6e-9fac-d9128cd7232f"); /* Idempotency-Key: the same on a retry */
        assert_event(&ev, EVENT_PUSH, "", "", "", "release/2.0", GL_SHA);
        assert_string_equal(ev.url, "https://gitlab.example.com/acme/mobile-app");

        /* Before GitLab 17.4 there is no Idempotency-Key. */
        d_drop("Idempotency-Key");
        parse_ok(types[i], &ev);
        assert_string_equal(ev.delivery, "13792a34-cac6-4fda-95a8-c58e00a3954e");

        gitlab_delivery("Tag Push Hook");
        d_body(GL_PUSH, "tag_push", "tag_push", GH_ZERO, "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7", "\"refs/tags/v2.0.0\"",
               "\"82b3d5ae55f7080f1e6022629cdb57bfae7cccc7\"");
        parse_ok(types[i], &ev);
        assert_event(&ev, EVENT_TAG, "", "", "", "v2.0.0", "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7");

        /* A tag deleted: checkout_sha is null, after all zeros. */
        d_body(GL_PUSH, "tag_push", "tag_push", "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7", GH_ZERO, "\"refs/tags/v2.0.0\"",
               "null");
        parse_ok(types[i], &ev);
        assert_event(&ev, EVENT_TAG, "", "", "", "v2.0.0", GH_ZERO);
    }
}

static void test_gitlab_pipeline(void **state)
{
    static const struct {
        const char *status, *want_status, *want_conclusion;
    } states[] = {
        {"created", "queued", ""},
        {"waiting_for_resource", "queued", ""},
        {"preparing", "queued", ""},
        {"pending", "queued", ""},
        {"scheduled", "queued", ""},
        {"manual", "queued", ""},
        {"running", "running", ""},
        {"waiting_for_callback", "running", ""}, /* a job waits for an outside service: still under way */
        {"canceling", "running", ""},            /* after_script still runs; "canceled" follows */
        {"success", "completed", "succeeded"},
        {"failed", "completed", "failed"},
        {"canceled", "completed", "cancelled"},
        {"skipped", "completed", "cancelled"},
    };
    struct provider_event ev;
    char status[64];
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(states); i++) {
        gitlab_delivery("Pipeline Hook");
        snprintf(status, sizeof status, "\"%s\"", states[i].status);
        d_body(GL_PIPELINE, "31", status, status);
        parse_ok("GITLAB_CI", &ev);
        assert_event(&ev, EVENT_BUILD, "31", states[i].want_status, states[i].want_conclusion, "main",
                     "bcbb5ec396a2c0f828686f14fac9b80b780504f2");
        assert_string_equal(ev.url, "https://gitlab.example.com/acme/mobile-app/-/pipelines/31");
    }
}

static void test_gitlab_other_and_refusals(void **state)
{
    struct provider_event ev;
    (void)state;

    gitlab_delivery("Merge Request Hook");
    d_body("{\"object_kind\": \"merge_request\", \"event_type\": \"merge_request\", \"object_attributes\": {\"iid\": 1}}");
    parse_ok("GITLAB", &ev);
    assert_event(&ev, EVENT_OTHER, "", "", "", "", "");
    gitlab_delivery("Job Hook");
    d_body("{\"object_kind\": \"build\", \"build_id\": 380, \"build_status\": \"running\"}");
    parse_ok("GITLAB_CI", &ev);
    assert_event(&ev, EVENT_OTHER, "", "", "", "", "");

    gitlab_delivery("Push Hook");
    d_body(GL_PUSH, "push", "push", GH_ZERO, GL_SHA, "\"refs/heads/main\"", "\"" GL_SHA "\"");
    d_drop("Idempotency-Key");
    d_drop("X-Gitlab-Event-UUID");
    parse_refused("GITLAB", ERR_INVALID, "Idempotency-Key or X-Gitlab-Event-UUID");
    gitlab_delivery("Push Hook");
    d_drop("X-Gitlab-Event");
    parse_refused("GITLAB", ERR_INVALID, "X-Gitlab-Event");

    gitlab_delivery("Push Hook");
    const struct refusal gitlab_push_refusals[] = {
        {"{\"object_kind\": \"push\", \"ref\": ", {NULL}, ERR_MALFORMED_JSON, "not valid JSON"},
        {"[]", {NULL}, ERR_MALFORMED_JSON, "JSON object"},
        {GL_PUSH, {"push", "push", GH_ZERO, GL_SHA, "null", "\"" GL_SHA "\""}, ERR_INVALID, "ref"},
        {GL_PUSH, {"push", "push", GH_ZERO, GL_SHA, "[\"refs/heads/main\"]", "\"" GL_SHA "\""}, ERR_INVALID, "ref"},
        {GL_PUSH, {"push", "push", GH_ZERO, GL_SHA, "\"refs/heads/main\"", "{}"}, ERR_INVALID, "sha"},
    };
    refuse_all("GITLAB", gitlab_push_refusals, ARRAY_LEN(gitlab_push_refusals));

    gitlab_delivery("Pipeline Hook");
    const struct refusal pipeline_refusals[] = {
        {"{\"object_kind\": \"pipeline\"}", {NULL}, ERR_INVALID, "object_attributes"},
        {"{\"object_kind\": \"pipeline\", \"object_attributes\": 31}", {NULL}, ERR_INVALID, "object_attributes"},
        {GL_PIPELINE, {"null", "\"success\"", "\"passed\""}, ERR_INVALID, "id"},
        {GL_PIPELINE, {"true", "\"success\"", "\"passed\""}, ERR_INVALID, "id"},
        {GL_PIPELINE, {"31", "\"exploded\"", "\"exploded\""}, ERR_INVALID, "status"},
        {GL_PIPELINE, {"31", "null", "null"}, ERR_INVALID, "status"},
        {GL_PIPELINE, {"31", "\"SUCCESS\"", "\"passed\""}, ERR_INVALID, "status"}, /* GitLab's words are lower case */
    };
    refuse_all("GITLAB_CI", pipeline_refusals, ARRAY_LEN(pipeline_refusals));
}

/* ---- CircleCI ---- */

/* A workflow-completed event: the workflow's id and status, and the pipeline's vcs branch-or-tag member (JSON text). */
#define CCI_WORKFLOW                                                                                                               \
    "{\"type\": \"workflow-completed\", \"id\": \"b1d1c0a2-3e4f-4a5b-8c6d-7e8f9a0b1c2d\", "                                        \
    "\"happened_at\": \"2026-03-10T10:12:00.317Z\", \"webhook\": {\"id\": \"0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f\", "              \
    "\"name\": \"slipway\"}, \"project\": {\"id\": \"5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170\", \"name\": \"mobile-app\", "           \
    "\"slug\": \"gh/acme/mobile-app\"}, \"organization\": {\"id\": \"a9b8c7d6-e5f4-4a3b-9c2d-1e0f9a8b7c6d\", \"name\": "           \
    "\"acme\"}, "                                                                                                                  \
    "\"workflow\": {\"id\": %s, \"name\": \"release\", \"created_at\": \"2026-03-10T10:00:01.112Z\", "                             \
    "\"stopped_at\": \"2026-03-10T10:12:00.170Z\", "                                                                               \
    "\"url\": \"https://app.circleci.com/pipelines/github/acme/mobile-app/130/workflows/fda08377\", \"status\": %s}, "             \
    "\"pipeline\": {\"id\": \"1285fe1d-d3a6-44fc-8886-897955825410\", \"number\": 130, "                                           \
    "\"created_at\": \"2026-03-10T10:00:00.544Z\", \"trigger\": {\"type\": \"webhook\"}, "                                         \
    "\"vcs\": {\"provider_name\": \"github\", \"origin_repository_url\": \"https://github.com/acme/mobile-app\", "                 \
    "\"target_repository_url\": \"https://github.com/acme/mobile-app\", "                                                          \
    "\"revision\": \"1dc6aa69429bff4806ad6afe58d3d8f57e25973e\", \"commit\": {\"subject\": \"Fix the release build\", "            \
    "\"body\": \"\", \"author\": {\"name\": \"Ada Lovelace\", \"email\": \"ada@example.com\"}, "                                   \
    "\"authored_at\": \"2026-03-10T09:58:53Z\", \"committer\": {\"name\": \"Ada Lovelace\", \"email\": \"ada@example.com\"}, "     \
    "\"committed_at\": \"2026-03-10T09:58:53Z\"}, %s}}}"

#define CCI_ID "\"fda08377-fe7e-46b1-8992-3a7aaecac9c3\""

static void test_circleci(void **state)
{
    static const struct {
        const char *status, *want_conclusion;
    } states[] = {
        {"success", "succeeded"},  {"failed", "failed"},       {"error", "failed"},      {"failing", "failed"},
        {"canceled", "cancelled"}, {"unauthorized", "failed"}, {"not_run", "cancelled"},
    };
    struct provider_event ev;
    char status[64];
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(states); i++) {
        d_new(NULL, T0);
        snprintf(status, sizeof status, "\"%s\"", states[i].status);
        d_body(CCI_WORKFLOW, CCI_ID, status, "\"branch\": \"main\"");
        parse_ok("CIRCLECI", &ev);
        assert_string_equal(ev.delivery, "b1d1c0a2-3e4f-4a5b-8c6d-7e8f9a0b1c2d");
        assert_event(&ev, EVENT_BUILD, "fda08377-fe7e-46b1-8992-3a7aaecac9c3", "completed", states[i].want_conclusion, "main",
                     "1dc6aa69429bff4806ad6afe58d3d8f57e25973e");
        assert_string_equal(ev.url, "https://app.circleci.com/pipelines/github/acme/mobile-app/130/workflows/fda08377");
    }
    /* A pipeline built for a tag names the tag, not a branch. */
    d_body(CCI_WORKFLOW, CCI_ID, "\"success\"", "\"tag\": \"v2.0.0\"");
    parse_ok("CIRCLECI", &ev);
    assert_string_equal(ev.ref, "v2.0.0");

    /* Events slipway does not use. */
    d_body("{\"type\": \"job-completed\", \"id\": \"c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f\", "
           "\"happened_at\": \"2026-03-10T10:12:00.317Z\", \"job\": {\"id\": \"j-1\", \"status\": \"success\"}}");
    parse_ok("CIRCLECI", &ev);
    assert_event(&ev, EVENT_OTHER, "", "", "", "", "");
    assert_string_equal(ev.delivery, "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f");

    /* Refusals. */
    const struct refusal circleci_refusals[] = {
        /* The signed time first: a body that cannot show one is not proven fresh (a replay), whatever else it lacks. */
        {"not json", {NULL}, ERR_UNAUTHENTICATED, "too old"},
        {"[\"workflow-completed\"]", {NULL}, ERR_UNAUTHENTICATED, "too old"},
        {"{\"type\": \"workflow-completed\", \"id\": \"b1d1c0a2\"}", {NULL}, ERR_UNAUTHENTICATED, "too old"},
        {"{\"happened_at\": \"" T0_TEXT
         "\", \"type\": \"workflow-completed\", \"workflow\": {\"id\": \"w\", \"status\": \"success\"}}",
         {NULL},
         ERR_INVALID,
         "id"},
        {"{\"happened_at\": \"" T0_TEXT
         "\", \"type\": \"workflow-completed\", \"id\": \"\", \"workflow\": {\"id\": \"w\", \"status\": \"success\"}}",
         {NULL},
         ERR_INVALID,
         "id"},
        {"{\"happened_at\": \"" T0_TEXT
         "\", \"type\": \"workflow-completed\", \"id\": {\"uuid\": \"x\"}, \"workflow\": {\"id\": \"w\", \"status\": \"success\"}}",
         {NULL},
         ERR_INVALID,
         "id"},
        {"{\"happened_at\": \"" T0_TEXT "\", \"id\": \"b1d1c0a2\", \"workflow\": {\"id\": \"w\", \"status\": \"success\"}}",
         {NULL},
         ERR_INVALID,
         "type"},
        {"{\"happened_at\": \"" T0_TEXT "\", \"type\": 7, \"id\": \"b1d1c0a2\"}", {NULL}, ERR_INVALID, "type"},
        {"{\"happened_at\": \"" T0_TEXT "\", \"type\": \"workflow-completed\", \"id\": \"b1d1c0a2\"}",
         {NULL},
         ERR_INVALID,
         "workflow"},
        {"{\"happened_at\": \"" T0_TEXT "\", \"type\": \"workflow-completed\", \"id\": \"b1d1c0a2\", \"workflow\": \"fda08377\"}",
         {NULL},
         ERR_INVALID,
         "workflow"},
        {CCI_WORKFLOW, {"null", "\"success\"", "\"branch\": \"main\""}, ERR_INVALID, "id"},
        {CCI_WORKFLOW, {CCI_ID, "\"exploded\"", "\"branch\": \"main\""}, ERR_INVALID, "status"},
        {CCI_WORKFLOW, {CCI_ID, "[\"success\"]", "\"branch\": \"main\""}, ERR_INVALID, "status"},
        {CCI_WORKFLOW, {CCI_ID, "\"success\"", "\"branch\": {\"name\": \"main\"}"}, ERR_INVALID, "branch"},
    };
    refuse_all("CIRCLECI", circleci_refusals, ARRAY_LEN(circleci_refusals));
}

/* ---- Jenkins: slipway's own callback ---- */

/* The callback docs/api.md defines: the job's name, the build's number, phase and status (JSON values). */
#define JENKINS_CALLBACK                                                                                                           \
    "{\"name\": %s, \"url\": \"job/mobile/job/release/\", \"sentAt\": \"" T0_TEXT "\", "                                           \
    "\"build\": {\"full_url\": \"https://jenkins.example.com/job/mobile/job/release/42/\", \"number\": %s, "                       \
    "\"queue_id\": 1337, \"phase\": %s, \"status\": %s, \"url\": \"job/mobile/job/release/42/\", "                                 \
    "\"scm\": {\"url\": \"https://github.com/acme/mobile-app.git\", \"branch\": \"main\", "                                        \
    "\"commit\": \"9e2d1c4b7a3f5e8d0c6b1a2f3e4d5c6b7a8f9e0d\"}}}"

static void jenkins_delivery(void)
{
    d_new(NULL, T0);
    d_header("X-Slipway-Delivery", "%s", "jenkins-mobile-release-42-completed");
}

static void test_jenkins(void **state)
{
    static const struct {
        const char *phase, *status, *want_status, *want_conclusion;
    } states[] = {
        {"\"QUEUED\"", "null", "queued", ""},
        {"\"STARTED\"", "null", "running", ""},
        {"\"COMPLETED\"", "\"SUCCESS\"", "completed", "succeeded"},
        {"\"COMPLETED\"", "\"FAILURE\"", "completed", "failed"},
        {"\"COMPLETED\"", "\"UNSTABLE\"", "completed", "failed"},
        {"\"COMPLETED\"", "\"ABORTED\"", "completed", "cancelled"},
        {"\"COMPLETED\"", "\"NOT_BUILT\"", "completed", "cancelled"},
        {"\"COMPLETED\"", "null", "completed", "failed"},
        {"\"FINALIZED\"", "\"SUCCESS\"", "completed", "succeeded"},
        {"\"FINALIZED\"", "\"ABORTED\"", "completed", "cancelled"},
    };
    struct provider_event ev;
    char quoted[300];
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(states); i++) {
        jenkins_delivery();
        d_body(JENKINS_CALLBACK, "\"mobile/release\"", "42", states[i].phase, states[i].status);
        parse_ok("JENKINS", &ev);
        assert_string_equal(ev.delivery, "jenkins-mobile-release-42-completed");
        assert_event(&ev, EVENT_BUILD, "mobile/release#42", states[i].want_status, states[i].want_conclusion, "main",
                     "9e2d1c4b7a3f5e8d0c6b1a2f3e4d5c6b7a8f9e0d");
        assert_string_equal(ev.url, "https://jenkins.example.com/job/mobile/job/release/42/");
    }
    /* A job without scm (not built from git): no ref or commit. */
    d_body("{\"name\": \"nightly\", \"sentAt\": \"" T0_TEXT "\", \"build\": {\"number\": 7, \"phase\": \"STARTED\"}}");
    parse_ok("JENKINS", &ev);
    assert_event(&ev, EVENT_BUILD, "nightly#7", "running", "", "", "");

    /* The longest job name whose run id ("name#42") fits, and one byte more: never cut. */
    memset(quoted, 'j', sizeof quoted);
    quoted[0] = quoted[253] = '"';
    quoted[254] = '\0';
    d_body(JENKINS_CALLBACK, quoted, "42", "\"STARTED\"", "null");
    parse_ok("JENKINS", &ev);
    assert_int_equal(strlen(ev.run_id), sizeof ev.run_id - 1);
    assert_string_equal(ev.run_id + 252, "#42");
    quoted[253] = 'j';
    quoted[254] = '"';
    quoted[255] = '\0';
    d_body(JENKINS_CALLBACK, quoted, "42", "\"STARTED\"", "null");
    parse_refused("JENKINS", ERR_INVALID, "run id is longer than 255 bytes");
}

static void test_jenkins_refusals(void **state)
{
    (void)state;

    jenkins_delivery();
    d_body(JENKINS_CALLBACK, "\"mobile/release\"", "42", "\"COMPLETED\"", "\"SUCCESS\"");
    d_drop("X-Slipway-Delivery");
    parse_refused("JENKINS", ERR_INVALID, "X-Slipway-Delivery");
    d_header("X-Slipway-Delivery", "%s", "");
    parse_refused("JENKINS", ERR_INVALID, "X-Slipway-Delivery");

    jenkins_delivery();
    const struct refusal jenkins_refusals[] = {
        /* The signed time first: a body that cannot show one is not proven fresh (a replay), whatever else it lacks. */
        {"<html><body>Jenkins</body></html>", {NULL}, ERR_UNAUTHENTICATED, "too old"},
        {"[]", {NULL}, ERR_UNAUTHENTICATED, "too old"},
        {"{\"name\": \"mobile/release\", \"build\": {\"number\": 42, \"phase\": \"STARTED\"}}",
         {NULL},
         ERR_UNAUTHENTICATED,
         "too old"},
        {JENKINS_CALLBACK, {"null", "42", "\"COMPLETED\"", "\"SUCCESS\""}, ERR_INVALID, "name"},
        {JENKINS_CALLBACK, {"\"\"", "42", "\"COMPLETED\"", "\"SUCCESS\""}, ERR_INVALID, "name"},
        {JENKINS_CALLBACK, {"[\"mobile/release\"]", "42", "\"COMPLETED\"", "\"SUCCESS\""}, ERR_INVALID, "name"},
        {JENKINS_CALLBACK, {"\"mobile/release\"", "\"42\"", "\"COMPLETED\"", "\"SUCCESS\""}, ERR_INVALID, "build.number"},
        {JENKINS_CALLBACK, {"\"mobile/release\"", "42.0", "\"COMPLETED\"", "\"SUCCESS\""}, ERR_INVALID, "build.number"},
        {"{\"sentAt\": \"" T0_TEXT "\", \"name\": \"mobile/release\", \"build\": 42}", {NULL}, ERR_INVALID, "build.number"},
        {JENKINS_CALLBACK, {"\"mobile/release\"", "42", "\"DONE\"", "\"SUCCESS\""}, ERR_INVALID, "build.phase"},
        {JENKINS_CALLBACK, {"\"mobile/release\"", "42", "null", "\"SUCCESS\""}, ERR_INVALID, "build.phase"},
        {JENKINS_CALLBACK, {"\"mobile/release\"", "42", "\"completed\"", "\"SUCCESS\""}, ERR_INVALID, "build.phase"},
        {"{\"sentAt\": \"" T0_TEXT
         "\", \"name\": \"mobile/release\", \"build\": {\"number\": 42, \"phase\": \"STARTED\", \"scm\": {\"branch\": 7.5}}}",
         {NULL},
         ERR_INVALID,
         "branch"},
    };
    refuse_all("JENKINS", jenkins_refusals, ARRAY_LEN(jenkins_refusals));
}

/* App Store Connect's notifications: x-apple-signature "hmacsha256=<hex>" over the body; a version's or a build's state. */
static void test_app_store(void **state)
{
    static const char body[] = "{\"data\": {\"type\": \"%s\", \"id\": \"%s\", \"version\": 1, \"attributes\": {\"oldValue\": "
                               "\"WAITING_FOR_REVIEW\", \"newValue\": \"IN_REVIEW\", \"timestamp\": \"2026-03-10T10:12:00.317Z\"}, "
                               "\"relationships\": {\"instance\": {\"data\": {\"type\": \"appStoreVersions\", \"id\": \"%s\"}}}}}";
    struct provider_event ev;
    (void)state;

    d_new("asc-secret", 0);
    d_body(body, "appStoreVersionAppVersionStateUpdated", "d-1", "v-42");
    d_sign("x-apple-signature", "hmacsha256=", "asc-secret");
    assert_true(d_check("APP_STORE"));
    parse_ok("APP_STORE", &ev);
    assert_string_equal(ev.delivery, "d-1");
    assert_event(&ev, EVENT_STORE, "v-42", "", "", "", "");
    d_sign("x-apple-signature", "hmacsha256=", "another secret");
    assert_false(d_check("APP_STORE"));
    d_sign("x-apple-signature", "sha256=", "asc-secret");
    assert_false(d_check("APP_STORE"));
    d_drop("x-apple-signature");
    assert_false(d_check("APP_STORE"));

    d_body(body, "buildUploadStateUpdated", "d-2", "bu-7");
    parse_ok("APP_STORE", &ev);
    assert_event(&ev, EVENT_STORE, "bu-7", "", "", "", "");
    d_body(body, "betaFeedbackCrashSubmissionCreated", "d-3", "f-1");
    parse_ok("APP_STORE", &ev);
    assert_event(&ev, EVENT_OTHER, "", "", "", "", "");

    const struct refusal refusals[] = {
        {"{\"data\": {\"type\": \"buildUploadStateUpdated\"}}", {NULL}, ERR_INVALID, "data.id"},
        {"{\"data\": {\"id\": \"d-4\"}}", {NULL}, ERR_INVALID, "data.type"},
        {"{\"data\": {\"type\": \"buildUploadStateUpdated\", \"id\": \"d-5\"}}", {NULL}, ERR_INVALID, "relationships"},
    };
    refuse_all("APP_STORE", refusals, ARRAY_LEN(refusals));
}

/* Every provider that declares webhooks is tested above. */
static void test_every_webhook_provider_is_covered(void **state)
{
    static const char *const covered[] = {"GITHUB", "GITHUB_ACTIONS", "GITLAB", "GITLAB_CI", "CIRCLECI", "JENKINS", "APP_STORE"};
    const struct provider *p;
    (void)state;

    for (size_t i = 0; (p = provider_at(i)); i++) {
        bool listed = false;
        for (size_t k = 0; k < ARRAY_LEN(covered); k++)
            listed |= strcmp(covered[k], p->type) == 0;
        if (listed != (p->ops->webhook_check != NULL) || listed != (p->ops->webhook_parse != NULL))
            fail_msg("%s: its webhook ops and this test's list disagree", p->type);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_github_published_vector),
        cmocka_unit_test(test_hmac_signatures),
        cmocka_unit_test(test_circleci_signature_list),
        cmocka_unit_test(test_gitlab_token),
        cmocka_unit_test(test_replay_window),
        cmocka_unit_test(test_github_push),
        cmocka_unit_test(test_github_workflow_run),
        cmocka_unit_test(test_github_other_events),
        cmocka_unit_test(test_github_refusals),
        cmocka_unit_test(test_gitlab_push_and_tag),
        cmocka_unit_test(test_gitlab_pipeline),
        cmocka_unit_test(test_gitlab_other_and_refusals),
        cmocka_unit_test(test_circleci),
        cmocka_unit_test(test_app_store),
        cmocka_unit_test(test_jenkins),
        cmocka_unit_test(test_jenkins_refusals),
        cmocka_unit_test(test_every_webhook_provider_is_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
