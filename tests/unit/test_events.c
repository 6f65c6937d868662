/* Unit tests of the event catalogue (src/events/catalog.c, docs/events.md): names, aliases, patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "core/common.h"
#include "events/catalog.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_names), cmocka_unit_test(test_aliases),
                                       cmocka_unit_test(test_patterns)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
