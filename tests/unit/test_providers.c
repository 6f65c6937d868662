/*
 * Unit tests of the provider registry and the call driver: capabilities
 * against ops, the table's consistency, the settings and flags read once
 * with the configuration, and a call's state saved and loaded.
 */
#include "provider_harness.h"

/* Every provider declares exactly the ops it has. */
static void test_capabilities_are_ops(void **state)
{
    const struct provider *p;
    (void)state;
    harness_config();
    for (size_t i = 0; (p = provider_at(i)); i++) {
        assert_non_null(p->ops);
#define CHECK(cap, member)                                                                                                         \
    if (!(p->caps & (cap)) != !p->ops->member)                                                                                     \
        fail_msg("%s: capability %s and op %s disagree", p->type, #cap, #member);
        PROVIDER_OPS(CHECK)
#undef CHECK
        assert_true(p->caps & CAP_VERIFY); /* every type can be verified today */
    }
}

static void test_table(void **state)
{
    const struct provider *p;
    size_t n = 0;
    (void)state;
    harness_config();
    for (; (p = provider_at(n)); n++) {
        assert_ptr_equal(provider_by_type(p->type), p);
        assert_ptr_equal(provider_by_kind(p->kind), p);
        assert_true(p->category < CAT__COUNT);
        assert_non_null(p->display);
        for (size_t f = 0; f < p->schema.count; f++) {
            const struct field *fd = &p->schema.fields[f];
            for (size_t g = 0; g < f; g++)
                assert_string_not_equal(fd->name, p->schema.fields[g].name);
            if (fd->secret)
                assert_true(fd->kind == FIELD_STRING && fd->max > 0);
        }
        assert_non_null(schema_field(&p->schema, "displayName")); /* every type's fields come first */
        if (p->scm_type)
            assert_int_equal(provider_by_type(p->scm_type)->category, CAT_SCM);
    }
    assert_true(n >= 19);
    assert_null(provider_by_type("NOPE"));
    assert_null(provider_by_kind(NULL));
    /* GITEA's own serverUrl replaces the SCMs' optional one. */
    assert_true(schema_field(&provider_by_type("GITEA")->schema, "serverUrl")->required);
    assert_false(schema_field(&provider_by_type("GITHUB")->schema, "serverUrl")->required);
}

/* The settings the README lists keep their names and defaults; every setting is listed once. */
static void test_settings(void **state)
{
    static const char *const expected[][2] = {
        {"ENABLE_JENKINS_INTEGRATION", "true"},
        {"ENABLE_GITHUB_ACTIONS_INTEGRATION", "true"},
        {"ENABLE_SLACK_INTEGRATION", "true"},
        {"SLIPWAY_GITHUB_API_URL", "https://api.github.com"},
        {"GITHUB_API_RATE_LIMIT", "5000"},
        {"SLIPWAY_GITLAB_URL", "https://gitlab.com"},
        {"SLIPWAY_BITBUCKET_API_URL", "https://api.bitbucket.org"},
        {"SLIPWAY_APPSTORE_API_URL", "https://api.appstoreconnect.apple.com"},
        {"APPSTORE_CONNECT_TIMEOUT", "30000"},
        {"SLIPWAY_PLAY_API_URL", "https://androidpublisher.googleapis.com"},
        {"PLAYSTORE_API_TIMEOUT", "30000"},
        {"SLIPWAY_GOOGLE_TOKEN_URL", "https://oauth2.googleapis.com/token"},
        {"SLIPWAY_FIREBASE_API_URL", "https://firebase.googleapis.com"},
        {"SLIPWAY_CIRCLECI_API_URL", "https://circleci.com/api/v2"},
        {"SLIPWAY_SLACK_API_URL", "https://slack.com/api"},
        {"SLIPWAY_LINEAR_API_URL", "https://api.linear.app/graphql"},
    };
    size_t n;
    const struct config_external *o = provider_config_options(&n);
    (void)state;

    for (size_t k = 0; k < ARRAY_LEN(expected); k++) {
        size_t i = 0;
        while (i < n && strcmp(o[i].option.env, expected[k][0]) != 0)
            i++;
        if (i == n)
            fail_msg("%s is not a setting any more", expected[k][0]);
        assert_string_equal(o[i].option.def, expected[k][1]);
    }
    for (size_t i = 0; i < n; i++) {
        assert_non_null(o[i].option.help);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(o[i].option.env, o[j].option.env);
    }
}

/* Flags and URLs are read by config_load, not at each use. */
static void test_read_once(void **state)
{
    const struct provider *slack = provider_by_type("SLACK"), *jenkins = provider_by_type("JENKINS");
    struct config cfg;
    struct err err;
    int used;
    (void)state;

    harness_config();
    setenv("ENABLE_SLACK_INTEGRATION", "off", 1);
    setenv("SLIPWAY_GITLAB_URL", "https://gitlab.acme.test", 1);
    err_clear(&err);
    assert_int_equal(config_load(&cfg, 0, NULL, &used, &err), ERR_OK);
    unsetenv("ENABLE_SLACK_INTEGRATION");
    unsetenv("SLIPWAY_GITLAB_URL");
    assert_false(provider_enabled(slack)); /* still: the environment was read once */
    assert_true(provider_enabled(jenkins));
    harness_start("GITLAB", "{\"organization\": \"a\", \"repoName\": \"b\", \"accessToken\": \"t\"}", NULL, NULL);
    assert_sent(0, "GET", "https://gitlab.acme.test/api/v4/user");

    setenv("ENABLE_JENKINS_INTEGRATION", "sometimes", 1);
    assert_int_equal(config_load(&cfg, 0, NULL, &used, &err), ERR_INVALID);
    assert_non_null(strstr(err.message, "ENABLE_JENKINS_INTEGRATION"));
    unsetenv("ENABLE_JENKINS_INTEGRATION");
    err_clear(&err);
    assert_int_equal(config_load(&cfg, 0, NULL, &used, &err), ERR_OK);
    assert_true(provider_enabled(slack));
}

static void test_state(void **state)
{
    json_t *saved, *bad;
    struct err err;
    (void)state;

    harness_call("JIRA", NULL, "{}", NULL, NULL);
    call->state.step = 3;
    json_object_set_new(call->state.data, "cursor", json_string("abc"));
    json_object_set_new(call->state.secrets, "token", json_string("s3cr3t"));
    saved = provider_state_save(&call->state);

    harness_call("JIRA", NULL, "{}", NULL, NULL); /* frees (and wipes) the first call: saved is a copy */
    err_clear(&err);
    assert_int_equal(provider_state_load(call, saved, &err), ERR_OK);
    assert_int_equal(call->state.step, 3);
    assert_string_equal(provider_data_text(call, "cursor"), "abc");
    assert_string_equal(provider_secret_text(call, "token"), "s3cr3t");
    json_decref(saved);

    bad = json_pack("{s:s, s:{}, s:{}}", "step", "3", "data", "secrets");
    assert_int_equal(provider_state_load(call, bad, &err), ERR_INVALID);
    json_decref(bad);
    assert_int_equal(call->state.step, 3); /* unchanged */
}

static enum err_code refuse(struct outbound *o, const struct outbound_call *c, struct err *err)
{
    (void)o, (void)c;
    return err_set(err, ERR_UNAVAILABLE, "the outbound loop is stopping");
}

/* Answers no verdict can rest on, and a loop that refuses the call. */
static void test_unanswered(void **state)
{
    static const struct {
        long status;
        const char *message;
    } cases[] = {{500, "answered 500 (a problem on its side)"}, {429, "answered 429"}};
    static const struct provider_loop stopping = {.timeout_ms = 1000, .submit = refuse};
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        harness_start("CIRCLECI", "{\"circleciProjectSlug\": \"gh/a/b\"}", NULL, NULL);
        harness_answer(cases[i].status, "{}", NULL);
        assert_ended(VERDICT_NONE, cases[i].message);
    }
    harness_start("CIRCLECI", "{\"circleciProjectSlug\": \"gh/a/b\"}", NULL, NULL);
    harness_fail(OUTBOUND_BLOCKED);
    assert_ended(VERDICT_NONE, "private, loopback or link-local address");

    harness_call("CIRCLECI", NULL, "{}", NULL, NULL);
    call->loop = &stopping;
    provider_call_run(call);
    assert_ended(VERDICT_NONE, "the outbound loop is stopping");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capabilities_are_ops),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_read_once),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_unanswered),
    };
    return cmocka_run_group_tests(tests, NULL, harness_teardown);
}
