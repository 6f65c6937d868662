/* Unit tests of the deployment lifecycle (src/deploy/lifecycle.c, docs/deployments.md): every cell of the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/common.h"
#include "deploy/lifecycle.h"

/* The allowed moves, as docs/deployments.md draws them; every other (status, event) pair is refused. */
static const struct {
    const char *from, *event, *to;
} moves[] = {
    {"PENDING", "start", "RUNNING"},       {"PENDING", "fail", "FAILED"},         {"PENDING", "cancel", "CANCELLED"},
    {"RUNNING", "exit-zero", "SUCCEEDED"}, {"RUNNING", "exit-nonzero", "FAILED"}, {"RUNNING", "fail", "FAILED"},
    {"RUNNING", "cancel", "CANCELLED"},    {"RUNNING", "interrupted", "FAILED"},  {"RUNNING", "restart", "RUNNING"},
};

static const char *expected(const char *from, const char *event)
{
    for (size_t i = 0; i < ARRAY_LEN(moves); i++)
        if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].event, event) == 0)
            return moves[i].to;
    return NULL;
}

static void test_every_cell(void **state)
{
    (void)state;
    for (int s = 0; s < DEP__COUNT; s++)
        for (int e = 0; e < DEV__COUNT; e++) {
            const char *want = expected(deploy_status_name((enum deploy_status)s), deploy_event_name((enum deploy_event)e));
            enum deploy_status got = deploy_transition((enum deploy_status)s, (enum deploy_event)e);
            if (want)
                assert_string_equal(deploy_status_name(got), want);
            else
                assert_int_equal(got, DEP_NONE);
        }
}

static void test_final_statuses(void **state)
{
    (void)state;
    assert_false(deploy_is_final(DEP_PENDING));
    assert_false(deploy_is_final(DEP_RUNNING));
    assert_true(deploy_is_final(DEP_SUCCEEDED));
    assert_true(deploy_is_final(DEP_FAILED));
    assert_true(deploy_is_final(DEP_CANCELLED));
}

static void test_names_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < DEP__COUNT; s++)
        assert_int_equal(deploy_status_parse(deploy_status_name((enum deploy_status)s)), s);
    assert_int_equal(deploy_status_parse("running"), DEP_NONE);
    assert_int_equal(deploy_status_parse(NULL), DEP_NONE);
    assert_int_equal(deploy_transition(DEP_NONE, DEV_START), DEP_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_cell), cmocka_unit_test(test_final_statuses),
                                       cmocka_unit_test(test_names_round_trip)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
