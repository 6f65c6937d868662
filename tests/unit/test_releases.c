/* Unit tests of the release and build lifecycles (src/releases/lifecycle.c, docs/releases.md): every cell of both tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/common.h"
#include "releases/lifecycle.h"
#include "releases/releases.h"

/* The allowed moves; every other (status, event) pair is refused. */
static const struct {
    const char *from, *event, *to;
} release_moves[] = {
    {"KICKOFF", "kickoff-done", "BUILDING"},
    {"KICKOFF", "kickoff-failed", "BLOCKED"},
    {"KICKOFF", "pause", "PAUSED"},
    {"KICKOFF", "cancel", "CANCELLED"},
    {"BUILDING", "builds-done", "REGRESSION"},
    {"BUILDING", "build-failed", "BLOCKED"},
    {"BUILDING", "pause", "PAUSED"},
    {"BUILDING", "cancel", "CANCELLED"},
    {"REGRESSION", "approved", "READY"},
    {"REGRESSION", "new-candidate", "BUILDING"},
    {"REGRESSION", "pause", "PAUSED"},
    {"REGRESSION", "cancel", "CANCELLED"},
    {"READY", "new-candidate", "BUILDING"},
    {"READY", "finish", "FINISHED"},
    {"READY", "pause", "PAUSED"},
    {"READY", "cancel", "CANCELLED"},
    {"PAUSED", "resume", "(stage)"},
    {"PAUSED", "cancel", "CANCELLED"},
    {"BLOCKED", "retry", "(stage)"},
    {"BLOCKED", "cancel", "CANCELLED"},
    {"READY", "released", "RELEASED"},
    {"RELEASED", "finish", "FINISHED"},
};

static const char *expected(const char *from, const char *event)
{
    for (size_t i = 0; i < ARRAY_LEN(release_moves); i++)
        if (strcmp(release_moves[i].from, from) == 0 && strcmp(release_moves[i].event, event) == 0)
            return release_moves[i].to;
    return NULL;
}

static void test_release_table(void **state)
{
    (void)state;
    for (int s = 0; s < REL__COUNT; s++)
        for (int e = 0; e < REV__COUNT; e++) {
            const char *from = release_status_name((enum release_status)s), *event = release_event_name((enum release_event)e);
            const char *want = expected(from, event);
            for (int stage = 0; stage < REL__COUNT; stage++) {
                enum release_status to =
                    release_transition((enum release_status)s, (enum release_event)e, (enum release_status)stage);
                const char *got = to == REL_NONE ? NULL : release_status_name(to);
                const char *w = want;
                if (w && strcmp(w, "(stage)") == 0) /* back to the interrupted stage, which must be one */
                    w = release_is_stage((enum release_status)stage) ? release_status_name((enum release_status)stage) : NULL;
                if ((w == NULL) != (got == NULL) || (w && strcmp(w, got) != 0))
                    fail_msg("%s + %s (stage %s) should be %s, is %s", from, event, release_status_name((enum release_status)stage),
                             w ? w : "refused", got ? got : "refused");
            }
        }
    assert_int_equal(release_transition(REL_NONE, REV_CANCEL, REL_KICKOFF), REL_NONE);
    assert_int_equal(release_transition(REL_KICKOFF, REV__COUNT, REL_KICKOFF), REL_NONE);
}

static void test_release_names(void **state)
{
    (void)state;
    for (int s = 0; s < REL__COUNT; s++)
        assert_int_equal(release_status_parse(release_status_name((enum release_status)s)), s);
    assert_int_equal(release_status_parse("kickoff"), REL_NONE);
    assert_int_equal(release_status_parse(NULL), REL_NONE);
    assert_null(release_status_name(REL__COUNT));
    assert_int_equal(release_action_parse("cancel"), REV_CANCEL);
    assert_int_equal(release_action_parse("pause"), REV_PAUSE);
    assert_int_equal(release_action_parse("resume"), REV_RESUME);
    assert_int_equal(release_action_parse("retry"), REV_RETRY);
    assert_int_equal(release_action_parse("new-candidate"), REV_NEW_CANDIDATE);
    assert_int_equal(release_action_parse("finish"), REV_FINISH);
    assert_int_equal(release_action_parse("approved"), -1); /* the approvals' count decides, not an action */
    assert_int_equal(release_action_parse("kickoff-done"), -1);
    assert_int_equal(release_action_parse("released"), -1); /* the stores decide, not an editor */
    assert_true(release_is_final(REL_CANCELLED) && release_is_final(REL_FINISHED) && !release_is_final(REL_PAUSED));
    for (int s = 0; s < REL__COUNT; s++)
        if (release_is_final((enum release_status)s))
            for (int e = 0; e < REV__COUNT; e++)
                assert_int_equal(release_transition((enum release_status)s, (enum release_event)e, REL_KICKOFF), REL_NONE);
}

static void test_build_table(void **state)
{
    static const struct {
        const char *from, *event, *to;
    } moves[] = {
        {"PENDING", "triggered", "QUEUED"}, {"PENDING", "failed", "FAILED"},       {"PENDING", "cancel", "CANCELLED"},
        {"QUEUED", "started", "RUNNING"},   {"QUEUED", "succeeded", "SUCCEEDED"},  {"QUEUED", "failed", "FAILED"},
        {"QUEUED", "cancel", "CANCELLED"},  {"RUNNING", "succeeded", "SUCCEEDED"}, {"RUNNING", "failed", "FAILED"},
        {"RUNNING", "cancel", "CANCELLED"},
    };
    (void)state;
    for (int s = 0; s < BUILD__COUNT; s++)
        for (int e = 0; e < BEV__COUNT; e++) {
            const char *from = build_status_name((enum build_status)s), *event = build_event_name((enum build_event)e),
                       *want = NULL;
            enum build_status to = build_transition((enum build_status)s, (enum build_event)e);
            for (size_t i = 0; i < ARRAY_LEN(moves); i++)
                if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].event, event) == 0)
                    want = moves[i].to;
            if ((want == NULL) != (to == BUILD_NONE) || (want && strcmp(want, build_status_name(to)) != 0))
                fail_msg("build %s + %s should be %s", from, event, want ? want : "refused");
        }
    for (int s = 0; s < BUILD__COUNT; s++)
        assert_int_equal(build_status_parse(build_status_name((enum build_status)s)), s);
    assert_int_equal(build_status_parse("DONE"), BUILD_NONE);
}

/* The notes' Markdown: a line a commit (short sha, first line), the ticket keys once each, in order; none in words. */
static void test_notes_markdown(void **state)
{
    json_t *commits =
        json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "sha", "2222222222222222", "message",
                  "Update copy (MOB-7)\n\nsee ABC-1 too", "sha", "3333333333333333", "message",
                  "Fix crash, ABC-123 and MOB-7; not x-1, aBC-2, UTF-8x or ABC-", "sha", "4444444444444444", "message", "");
    char *md;

    (void)state;
    md = release_notes_markdown("2.0.0", "v1.9.0", commits);
    assert_string_equal(md, "## 2.0.0\n\nChanges since v1.9.0:\n\n- 2222222 Update copy (MOB-7)\n"
                            "- 3333333 Fix crash, ABC-123 and MOB-7; not x-1, aBC-2, UTF-8x or ABC-\n- 4444444 \n\n"
                            "Tickets: MOB-7, ABC-1, ABC-123\n");
    free(md);
    json_decref(commits);
    commits = json_array();
    md = release_notes_markdown("2.0.1", "v2.0.0", commits);
    assert_string_equal(md, "## 2.0.1\n\nChanges since v2.0.0:\n\n- no commits\n");
    free(md);
    json_decref(commits);
}

static int64_t at(const char *iso)
{
    int64_t ms = 0;
    assert_int_equal(clock_parse(iso, &ms), 0);
    return ms;
}

/* A train's slots: the first of the weekday and time strictly after a moment (2026-12-06 is a Sunday). */
static void test_train_slots(void **state)
{
    json_t *monday = json_pack("{s:s, s:s}", "weekday", "MONDAY", "time", "10:00");
    json_t *sunday = json_pack("{s:s, s:s}", "weekday", "SUNDAY", "time", "13:00");
    json_t *bad = json_pack("{s:s, s:s}", "weekday", "FUNDAY", "time", "13:00");

    (void)state;
    assert_true(release_train_slot_after(monday, at("2026-12-06T12:00:00Z")) == at("2026-12-07T10:00:00Z"));
    assert_true(release_train_slot_after(monday, at("2026-12-07T09:59:59.999Z")) == at("2026-12-07T10:00:00Z"));
    assert_true(release_train_slot_after(monday, at("2026-12-07T10:00:00Z")) == at("2026-12-14T10:00:00Z"));
    assert_true(release_train_slot_after(sunday, at("2026-12-06T12:00:00Z")) == at("2026-12-06T13:00:00Z"));
    assert_true(release_train_slot_after(sunday, at("2026-12-06T13:30:00Z")) == at("2026-12-13T13:00:00Z"));
    assert_true(release_train_slot_after(sunday, at("1969-12-31T12:00:00Z")) == at("1970-01-04T13:00:00Z"));
    assert_true(release_train_slot_after(bad, 0) == -1);
    json_decref(monday);
    json_decref(sunday);
    json_decref(bad);
}

/* version "next": SEMVER bumps the highest by type; CALVER counts within the month. */
static void test_next_version(void **state)
{
    static const char *semver[] = {"1.4.2", "1.10.0-rc.1", "0.9.9", "junk", "1.2"};
    static const char *calver[] = {"2026.12.3", "2026.11.9", "2026.12", "2026.120"};
    static const struct {
        const char *scheme, *type;
        const char *const *versions;
        size_t n;
        const char *want;
    } cases[] = {
        {"SEMVER", "MINOR", semver, 5, "1.11.0"},        {"SEMVER", "MAJOR", semver, 5, "2.0.0"},
        {"SEMVER", "PATCH", semver, 5, "1.10.1"},        {"SEMVER", "HOTFIX", semver, 5, "1.10.1"},
        {"SEMVER", "MINOR", NULL, 0, "0.1.0"},           {"CALVER", "MINOR", NULL, 0, "2026.12"},
        {"CALVER", "MINOR", calver + 2, 1, "2026.12.1"}, {"CALVER", "MINOR", calver, 4, "2026.12.4"},
        {"CALVER", "MINOR", calver + 3, 1, "2026.12"},
    };
    char out[RELEASE_VERSION_SIZE];

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        release_version_next(cases[i].scheme, cases[i].type, at("2026-12-06T12:00:00Z"), cases[i].versions, cases[i].n, out);
        assert_string_equal(out, cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_release_table), cmocka_unit_test(test_release_names),
                                       cmocka_unit_test(test_build_table),   cmocka_unit_test(test_notes_markdown),
                                       cmocka_unit_test(test_train_slots),   cmocka_unit_test(test_next_version)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
