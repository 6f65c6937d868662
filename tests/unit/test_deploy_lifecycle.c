/* Unit tests of the deployment lifecycle (src/deploy/lifecycle.c, docs/deployments.md): every cell of both tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/common.h"
#include "deploy/lifecycle.h"

/* The allowed moves, as docs/deployments.md draws them; every other (status, event) pair is refused. */
static const struct {
    const char *from, *event, *to;
} moves[] = {
    {"PENDING", "start", "RUNNING"},
    {"PENDING", "fail", "FAILED"},
    {"PENDING", "cancel", "CANCELLED"},
    {"RUNNING", "exit-zero", "SUCCEEDED"},
    {"RUNNING", "exit-nonzero", "FAILED"},
    {"RUNNING", "fail", "FAILED"},
    {"RUNNING", "cancel", "CANCELLED"},
    {"RUNNING", "interrupted", "FAILED"},
    {"RUNNING", "restart", "RUNNING"},
    {"RUNNING", "timeout", "FAILED"},
    {"SCHEDULED", "due", "PENDING"},
    {"SCHEDULED", "cancel", "CANCELLED"},
    {"AWAITING_APPROVAL", "approved", "SCHEDULED"},
    {"AWAITING_APPROVAL", "cancel", "CANCELLED"},
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

/*
 * A deployment's status for every set of step statuses present (the counts
 * do not matter, only which are present), as docs/deployments.md draws it.
 */
static const struct {
    const char *steps, *deployment;
} aggregates[] = {
    {"PENDING", "PENDING"},
    {"RUNNING", "RUNNING"},
    {"SUCCEEDED", "SUCCEEDED"},
    {"FAILED", "FAILED"},
    {"CANCELLED", "CANCELLED"},
    {"PENDING RUNNING", "RUNNING"},
    {"PENDING SUCCEEDED", "RUNNING"},
    {"PENDING FAILED", "RUNNING"},
    {"PENDING CANCELLED", "RUNNING"},
    {"RUNNING SUCCEEDED", "RUNNING"},
    {"RUNNING FAILED", "RUNNING"},
    {"RUNNING CANCELLED", "RUNNING"},
    {"SUCCEEDED FAILED", "PARTIALLY_FAILED"},
    {"SUCCEEDED CANCELLED", "CANCELLED"},
    {"FAILED CANCELLED", "CANCELLED"},
    {"PENDING RUNNING SUCCEEDED", "RUNNING"},
    {"PENDING RUNNING FAILED", "RUNNING"},
    {"PENDING RUNNING CANCELLED", "RUNNING"},
    {"PENDING SUCCEEDED FAILED", "RUNNING"},
    {"PENDING SUCCEEDED CANCELLED", "RUNNING"},
    {"PENDING FAILED CANCELLED", "RUNNING"},
    {"RUNNING SUCCEEDED FAILED", "RUNNING"},
    {"RUNNING SUCCEEDED CANCELLED", "RUNNING"},
    {"RUNNING FAILED CANCELLED", "RUNNING"},
    {"SUCCEEDED FAILED CANCELLED", "CANCELLED"},
    {"PENDING RUNNING SUCCEEDED FAILED", "RUNNING"},
    {"PENDING RUNNING SUCCEEDED CANCELLED", "RUNNING"},
    {"PENDING RUNNING FAILED CANCELLED", "RUNNING"},
    {"PENDING SUCCEEDED FAILED CANCELLED", "RUNNING"},
    {"RUNNING SUCCEEDED FAILED CANCELLED", "RUNNING"},
    {"PENDING RUNNING SUCCEEDED FAILED CANCELLED", "RUNNING"},
};

static void test_every_aggregate(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(aggregates); i++) {
        int counts[DEP__COUNT] = {0};
        char words[100], *save = NULL;
        snprintf(words, sizeof words, "%s", aggregates[i].steps);
        for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
            counts[deploy_status_parse(w)] = (int)i % 3 + 1; /* any count present */
        assert_string_equal(deploy_status_name(deploy_aggregate(counts)), aggregates[i].deployment);
    }
    int none[DEP__COUNT] = {0}, partial[DEP__COUNT] = {[DEP_SUCCEEDED] = 1, [DEP_PARTIALLY_FAILED] = 1};
    assert_int_equal(deploy_aggregate(none), DEP_NONE);
    assert_int_equal(deploy_aggregate(partial), DEP_NONE); /* a step is never PARTIALLY_FAILED */
    int scheduled[DEP__COUNT] = {[DEP_PENDING] = 1, [DEP_SCHEDULED] = 1}, awaiting[DEP__COUNT] = {[DEP_AWAITING_APPROVAL] = 2};
    assert_int_equal(deploy_aggregate(scheduled), DEP_NONE); /* nor SCHEDULED, nor AWAITING_APPROVAL */
    assert_int_equal(deploy_aggregate(awaiting), DEP_NONE);
}

static void test_final_statuses(void **state)
{
    (void)state;
    assert_false(deploy_is_final(DEP_PENDING));
    assert_false(deploy_is_final(DEP_RUNNING));
    assert_false(deploy_is_final(DEP_SCHEDULED));
    assert_false(deploy_is_final(DEP_AWAITING_APPROVAL));
    assert_true(deploy_is_final(DEP_SUCCEEDED));
    assert_true(deploy_is_final(DEP_FAILED));
    assert_true(deploy_is_final(DEP_CANCELLED));
    assert_true(deploy_is_final(DEP_PARTIALLY_FAILED));
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
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_cell), cmocka_unit_test(test_every_aggregate),
                                       cmocka_unit_test(test_final_statuses), cmocka_unit_test(test_names_round_trip)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
