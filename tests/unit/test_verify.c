/* Unit tests of the verification status lifecycle: document 000's table, as docs/verification.md states it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "verify/verify.h"

static void test_transitions(void **state)
{
    static const struct {
        const char *from;
        enum verdict verdict;
        const char *to;
    } table[] = {
        {"NOT_VERIFIED", VERDICT_VALID, "VALID"},
        {"NOT_VERIFIED", VERDICT_INVALID, "INVALID"},
        {"NOT_VERIFIED", VERDICT_EXPIRED, "INVALID"},
        {"NOT_VERIFIED", VERDICT_NONE, "NOT_VERIFIED"},
        {"VALID", VERDICT_VALID, "VALID"},
        {"VALID", VERDICT_INVALID, "INVALID"},
        {"VALID", VERDICT_EXPIRED, "EXPIRED"},
        {"VALID", VERDICT_NONE, "VALID"},
        {"INVALID", VERDICT_VALID, "VALID"},
        {"INVALID", VERDICT_INVALID, "INVALID"},
        {"INVALID", VERDICT_EXPIRED, "INVALID"},
        {"INVALID", VERDICT_NONE, "INVALID"},
        {"EXPIRED", VERDICT_VALID, "VALID"},
        {"EXPIRED", VERDICT_INVALID, "EXPIRED"},
        {"EXPIRED", VERDICT_EXPIRED, "EXPIRED"},
        {"EXPIRED", VERDICT_NONE, "EXPIRED"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(table); i++)
        if (strcmp(verify_transition(table[i].from, table[i].verdict), table[i].to) != 0)
            fail_msg("%s + %s should be %s", table[i].from,
                     verdict_name(table[i].verdict) ? verdict_name(table[i].verdict) : "none", table[i].to);
    assert_null(verdict_name(VERDICT_NONE));
    assert_string_equal(verdict_name(VERDICT_EXPIRED), "EXPIRED");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_transitions)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
