/* Unit tests of the store submission lifecycle (src/stores/lifecycle.c, docs/stores.md): every cell of the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/common.h"
#include "stores/lifecycle.h"

/* The allowed moves, written out; every other (status, event) pair is refused. */
static const struct {
    const char *from, *event, *to;
} allowed[] = {
    {"PENDING", "processing", "PROCESSING"}, {"PENDING", "submitted", "SUBMITTED"},   {"PENDING", "rollout", "ROLLING_OUT"},
    {"PENDING", "complete", "RELEASED"},     {"PENDING", "failed", "FAILED"},         {"PROCESSING", "submitted", "SUBMITTED"},
    {"PROCESSING", "failed", "FAILED"},      {"SUBMITTED", "in-review", "IN_REVIEW"}, {"SUBMITTED", "rejected", "REJECTED"},
    {"SUBMITTED", "approved", "APPROVED"},   {"IN_REVIEW", "rejected", "REJECTED"},   {"IN_REVIEW", "approved", "APPROVED"},
    {"APPROVED", "rollout", "ROLLING_OUT"},  {"APPROVED", "complete", "RELEASED"},    {"ROLLING_OUT", "rollout", "ROLLING_OUT"},
    {"ROLLING_OUT", "halt", "HALTED"},       {"ROLLING_OUT", "complete", "RELEASED"}, {"HALTED", "resume", "ROLLING_OUT"},
    {"HALTED", "complete", "RELEASED"},      {"PROCESSING", "complete", "RELEASED"},  {"RELEASED", "halt", "HALTED"},
};

static void test_table(void **state)
{
    (void)state;
    for (int s = 0; s < SUB__COUNT; s++)
        for (int e = 0; e < SEV__COUNT; e++) {
            const char *from = submission_status_name((enum submission_status)s);
            const char *event = submission_event_name((enum submission_event)e), *want = NULL;
            enum submission_status to = submission_transition((enum submission_status)s, (enum submission_event)e);
            for (size_t i = 0; i < ARRAY_LEN(allowed); i++)
                if (strcmp(allowed[i].from, from) == 0 && strcmp(allowed[i].event, event) == 0)
                    want = allowed[i].to;
            if ((want == NULL) != (to == SUB_NONE) || (want && strcmp(want, submission_status_name(to)) != 0))
                fail_msg("%s + %s should be %s, is %s", from, event, want ? want : "refused",
                         to == SUB_NONE ? "refused" : submission_status_name(to));
        }
    assert_int_equal(submission_transition(SUB_NONE, SEV_HALT), SUB_NONE);
    assert_int_equal(submission_transition(SUB_ROLLING_OUT, SEV__COUNT), SUB_NONE);
}

static void test_names(void **state)
{
    (void)state;
    for (int s = 0; s < SUB__COUNT; s++)
        assert_int_equal(submission_status_parse(submission_status_name((enum submission_status)s)), s);
    assert_int_equal(submission_status_parse("pending"), SUB_NONE);
    assert_int_equal(submission_status_parse(NULL), SUB_NONE);
    assert_null(submission_status_name(SUB__COUNT));
    assert_null(submission_event_name(SEV__COUNT));
    assert_int_equal(submission_action_parse("rollout"), SEV_ROLLOUT);
    assert_int_equal(submission_action_parse("halt"), SEV_HALT);
    assert_int_equal(submission_action_parse("resume"), SEV_RESUME);
    assert_int_equal(submission_action_parse("complete"), SEV_COMPLETE);
    assert_int_equal(submission_action_parse("approved"), -1); /* the store's word, not an editor's */
    assert_int_equal(submission_action_parse(NULL), -1);
    for (int s = 0; s < SUB__COUNT; s++)
        if (submission_is_final((enum submission_status)s))
            for (int e = 0; e < SEV__COUNT; e++)
                assert_int_equal(submission_transition((enum submission_status)s, (enum submission_event)e), SUB_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_table), cmocka_unit_test(test_names)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
