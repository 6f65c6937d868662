/*
 * Unit tests of the event catalogue (src/events/catalog.c, docs/events.md): names, aliases, patterns; and the
 * signature of outbound webhooks (src/notify/endpoints.c) against the Standard Webhooks convention's own example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "core/common.h"
#include "core/err.h"
#include "events/catalog.h"
#include "notify/endpoints.h"

/* Every name dotted, lower case, unique; found by itself; a subject. */
static void test_names(void **state)
{
    (void)state;
    assert_true(events_count > 0);
    for (size_t i = 0; i < events_count; i++) {
        const char *n = events_catalog[i].name;
        assert_non_null(strchr(n, '.'));
        for (const char *p = n; *p; p++)
            if (!islower((unsigned char)*p) && *p != '.')
                fail_msg("%s: only lower-case letters and dots", n);
        for (size_t j = 0; j < i; j++)
            if (strcmp(events_catalog[j].name, n) == 0)
                fail_msg("%s twice", n);
        assert_ptr_equal(events_find(n), &events_catalog[i]);
        assert_string_equal(events_canonical(n), n);
        assert_true(events_catalog[i].subject[0] && events_catalog[i].help[0]);
    }
}

/* Document 001's three names, and every alias, stand for a name of the catalogue; the allowed list holds both. */
static void test_aliases(void **state)
{
    size_t n = 0;
    (void)state;
    assert_string_equal(events_canonical("release_started"), "release.kickoff.started");
    assert_string_equal(events_canonical("build_completed"), "build.completed");
    assert_string_equal(events_canonical("release_submitted"), "release.submitted");
    for (const char *const *a = events_aliases; *a; a++, n++) {
        assert_non_null(events_canonical(*a));
        assert_non_null(events_find(*a));
        assert_string_equal(events_alias_of(events_canonical(*a)), *a);
    }
    assert_int_equal(n, 8);
    assert_null(events_alias_of("release.paused"));
    assert_null(events_canonical("release.nope"));
    assert_null(events_canonical(NULL));
}

static void test_patterns(void **state)
{
    static const char *const valid[] = {"*", "release.*", "release.kickoff.*", "build.*", "release.kickoff.failed"};
    static const char *const invalid[] = {"",           "release", "release.", "*.started",      "release.kickoff.started.*",
                                          "releases.*", ".*",      "nope.*",   "release_started"};
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(valid); i++)
        if (!events_pattern_valid(valid[i]))
            fail_msg("%s should be valid", valid[i]);
    for (size_t i = 0; i < ARRAY_LEN(invalid); i++)
        if (events_pattern_valid(invalid[i]))
            fail_msg("%s should be refused", invalid[i]);
    assert_true(events_pattern_matches("release.*", "release.kickoff.failed"));
    assert_true(events_pattern_matches("release.kickoff.*", "release.kickoff.failed"));
    assert_false(events_pattern_matches("release.kickoff.*", "release.paused"));
    assert_false(events_pattern_matches("release.*", "rollout.updated"));
    assert_false(events_pattern_matches("build.*", "buildx.completed"));
    assert_true(events_pattern_matches("*", "build.failed"));
}

/* The example of the Standard Webhooks specification (and its libraries' tests); then a secret not of its form, and fresh ones. */
static void test_webhook_signature(void **state)
{
    const char *body = "{\"test\": 2432232314}";
    char sig[ENDPOINT_SIGNATURE_SIZE], a[ENDPOINT_SECRET_SIZE], b[ENDPOINT_SECRET_SIZE];
    struct err err;
    (void)state;

    err_clear(&err);
    assert_int_equal(endpoints_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
                                    strlen(body), sig, &err),
                     ERR_OK);
    assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    assert_int_equal(endpoints_sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg", 1, body, strlen(body), sig, &err), ERR_INVALID);
    err_clear(&err);
    assert_int_equal(endpoints_sign("whsec_", "msg", 1, body, strlen(body), sig, &err), ERR_INVALID);
    endpoints_secret_new(a);
    endpoints_secret_new(b);
    assert_int_equal(strlen(a), ENDPOINT_SECRET_SIZE - 1);
    assert_int_equal(strncmp(a, "whsec_", 6), 0);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_names), cmocka_unit_test(test_aliases),
                                       cmocka_unit_test(test_patterns), cmocka_unit_test(test_webhook_signature)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
