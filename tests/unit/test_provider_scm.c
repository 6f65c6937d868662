/* Unit tests of the source-control providers: the requests they build, what they make of the answers (docs/verification.md). */
#include "provider_harness.h"

#define REPO "\"organization\": \"acme\", \"repoName\": \"app\", \"accessToken\": \"tok-1234567890\""

static void test_github(void **state)
{
    (void)state;
    harness_start("GITHUB", "{" REPO "}", NULL, NULL);
    assert_int_equal(nsent, 1);
    assert_sent(0, "GET", "https://api.github.com/user");
    assert_true(sent_header(0, "Authorization: Bearer tok-1234567890"));
    assert_true(sent_header(0, "Accept: application/vnd.github+json"));
    assert_true(sent_header(0, "X-GitHub-Api-Version: 2022-11-28"));
    assert_int_equal(sent[0].timeout_ms, harness_loop.timeout_ms); /* no timeout of its own */
    harness_answer(200, "{\"login\": \"octo\"}", "X-OAuth-Scopes: repo, workflow\r\nX-RateLimit-Remaining: 4999\r\n");
    assert_sent(1, "GET", "https://api.github.com/repos/acme/app");
    harness_answer(200, "{\"permissions\": {\"pull\": true, \"push\": true}}", NULL);
    assert_ended(VERDICT_VALID, "GitHub accepts the token, which can push to acme/app");
    assert_string_equal(output_text("login"), "octo");
    assert_string_equal(output_text("scopes"), "repo, workflow");
    assert_true(json_is_true(json_object_get(json_object_get(call->output, "permissions"), "push")));
}

static void test_github_refusals(void **state)
{
    (void)state;
    harness_start("GITHUB", "{" REPO "}", NULL, NULL);
    harness_answer(401, "{\"message\": \"Bad credentials\"}", NULL);
    assert_ended(VERDICT_INVALID, "GitHub rejected the token");

    harness_start("GITHUB", "{" REPO "}", NULL, NULL);
    harness_answer(200, "{\"login\": \"octo\"}", "github-authentication-token-expiration: 2020-01-01 10:00:00 UTC\r\n");
    assert_ended(VERDICT_EXPIRED, "the GitHub token expired on 2020-01-01 10:00:00 UTC");
    assert_int_equal(nsent, 1);

    harness_start("GITHUB", "{" REPO "}", NULL, NULL);
    harness_answer(200, "{\"login\": \"octo\"}", NULL);
    harness_answer(200, "{\"permissions\": {\"pull\": true, \"push\": false}}", NULL);
    assert_ended(VERDICT_INVALID,
                 "the token lacks push access to acme/app (releases push branches and tags: grant the repo scope)");

    harness_start("GITHUB", "{" REPO "}", NULL, NULL);
    harness_answer(200, "{\"login\": \"octo\"}", NULL);
    harness_answer(404, "{}", NULL);
    assert_ended(VERDICT_INVALID, "repository acme/app not found, or the token cannot see it");

    /* GitHub's own limit (its reset already past, so later calls go on) is no verdict. */
    harness_start("GITHUB", "{" REPO "}", NULL, NULL);
    harness_answer(403, "{}", "X-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: 1\r\n");
    assert_ended(VERDICT_NONE, "GitHub's rate limit is used up");

    harness_start("GITHUB", "{" REPO "}", NULL, NULL);
    harness_answer(200, "{not json", NULL);
    assert_ended(VERDICT_NONE, "GitHub answered something that is not JSON");
}

static void test_github_enterprise(void **state)
{
    (void)state;
    harness_start("GITHUB", "{" REPO ", \"serverUrl\": \"https://ghe.acme.test/api/v3/\"}", NULL, NULL);
    assert_sent(0, "GET", "https://ghe.acme.test/api/v3/user");
}

/* A saved state runs again on a fresh call: it sends the request of the step it was on. */
static void test_github_resume(void **state)
{
    char url[PROVIDER_URL_MAX];
    json_t *saved;
    struct err err;
    (void)state;

    harness_start("GITHUB", "{" REPO "}", NULL, NULL);
    harness_answer(200, "{\"login\": \"octo\"}", NULL);
    snprintf(url, sizeof url, "%s", sent[1].url);
    saved = provider_state_save(&call->state);
    assert_int_equal(json_integer_value(json_object_get(saved, "step")), 1);

    harness_call("GITHUB", NULL, "{" REPO "}", NULL, NULL);
    err_clear(&err);
    assert_int_equal(provider_state_load(call, saved, &err), ERR_OK);
    provider_call_run(call);
    assert_int_equal(nsent, 1);
    assert_sent(0, "GET", url);
    harness_answer(200, "{\"permissions\": {\"pull\": true, \"push\": true}}", NULL);
    assert_ended(VERDICT_VALID, "acme/app");
    json_decref(saved);
}

static void test_gitlab(void **state)
{
    (void)state;
    harness_start("GITLAB", "{" REPO "}", NULL, NULL);
    assert_sent(0, "GET", "https://gitlab.com/api/v4/user");
    assert_true(sent_header(0, "PRIVATE-TOKEN: tok-1234567890"));
    harness_answer(200, "{\"username\": \"bot\"}", NULL);
    assert_sent(1, "GET", "https://gitlab.com/api/v4/projects/acme%2Fapp");
    harness_answer(200, "{\"permissions\": {\"project_access\": {\"access_level\": 20}, \"group_access\": {\"access_level\": 30}}}",
                   NULL);
    assert_ended(VERDICT_VALID, "with Developer access or more to acme/app");
    assert_string_equal(output_text("username"), "bot");
    assert_int_equal(json_integer_value(json_object_get(call->output, "accessLevel")), 30);

    harness_start("GITLAB", "{" REPO ", \"serverUrl\": \"https://git.acme.test\"}", NULL, NULL);
    assert_sent(0, "GET", "https://git.acme.test/api/v4/user");
    harness_answer(200, "{\"username\": \"bot\"}", NULL);
    harness_answer(200, "{\"permissions\": {\"project_access\": {\"access_level\": 20}}}", NULL);
    assert_ended(VERDICT_INVALID, "access level 20 on acme/app; releases need Developer (30) or more");
}

static void test_bitbucket(void **state)
{
    (void)state;
    harness_start("BITBUCKET", "{" REPO "}", NULL, NULL);
    assert_sent(0, "GET", "https://api.bitbucket.org/2.0/user");
    assert_true(sent_header(0, "Authorization: Bearer tok-1234567890"));
    harness_answer(200, "{\"username\": \"bot\"}", NULL);
    assert_sent(1, "GET", "https://api.bitbucket.org/2.0/repositories/acme/app");
    harness_answer(200, "{}", NULL);
    assert_ended(VERDICT_VALID, "Bitbucket accepts the token for acme/app");

    harness_start("BITBUCKET", "{" REPO "}", NULL, NULL);
    harness_answer(200, "{\"username\": \"bot\"}", NULL);
    harness_answer(403, "{}", NULL);
    assert_ended(VERDICT_INVALID, "Bitbucket rejected the token for this repository (the provider answered 403: not allowed)");
}

static void test_gitea(void **state)
{
    (void)state;
    harness_start("GITEA", "{" REPO ", \"serverUrl\": \"https://gitea.acme.test\"}", NULL, NULL);
    assert_sent(0, "GET", "https://gitea.acme.test/api/v1/user");
    assert_true(sent_header(0, "Authorization: token tok-1234567890"));
    assert_true(sent_header(0, "Accept: application/json"));
    harness_answer(200, "{\"login\": \"bot\"}", NULL);
    assert_sent(1, "GET", "https://gitea.acme.test/api/v1/repos/acme/app");
    harness_answer(200, "{\"permissions\": {\"pull\": true, \"push\": true}}", NULL);
    assert_ended(VERDICT_VALID, "Gitea accepts the token");

    harness_start("GITEA", "{" REPO ", \"serverUrl\": \"https://gitea.acme.test\"}", NULL, NULL);
    harness_fail(OUTBOUND_TIMEOUT);
    assert_ended(VERDICT_NONE, "Gitea did not answer in time");
}

/* repositoryUrl is derived from the provider's web host, or serverUrl. */
static void test_repository_url(void **state)
{
    static const struct {
        const char *type, *server, *url;
    } cases[] = {
        {"GITHUB", NULL, "https://github.com/acme/app"},
        {"GITLAB", NULL, "https://gitlab.com/acme/app"},
        {"BITBUCKET", NULL, "https://bitbucket.org/acme/app"},
        {"GITEA", "https://gitea.acme.test/", "https://gitea.acme.test/acme/app"},
        {"GITHUB", "https://ghe.acme.test", "https://ghe.acme.test/acme/app"},
    };
    (void)state;
    harness_config();
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        json_t *c = json_pack("{s:s, s:s}", "organization", "acme", "repoName", "app");
        struct err err;
        if (cases[i].server)
            json_object_set_new(c, "serverUrl", json_string(cases[i].server));
        err_clear(&err);
        provider_by_type(cases[i].type)->prepare(c, &err);
        assert_string_equal(json_string_value(json_object_get(c, "repositoryUrl")), cases[i].url);
        json_decref(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_github),        cmocka_unit_test(test_github_refusals), cmocka_unit_test(test_github_enterprise),
        cmocka_unit_test(test_github_resume), cmocka_unit_test(test_gitlab),          cmocka_unit_test(test_bitbucket),
        cmocka_unit_test(test_gitea),         cmocka_unit_test(test_repository_url),
    };
    return cmocka_run_group_tests(tests, NULL, harness_teardown);
}
