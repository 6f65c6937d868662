/* Unit tests of the CI/CD providers: Jenkins' crumbs and job paths, GitHub Actions and GitLab CI through their SCM, CircleCI. */
#include "provider_harness.h"

#define JENKINS                                                                                                                    \
    "{\"jenkinsUrl\": \"https://ci.acme.test/\", \"jenkinsUsername\": \"bot\", \"jenkinsApiToken\": \"tok-1234567890\", "          \
    "\"jenkinsJobPath\": \"mobile/ios build\"}"

static void test_jenkins(void **state)
{
    (void)state;
    harness_start("JENKINS", JENKINS, NULL, NULL);
    assert_sent(0, "GET", "https://ci.acme.test/crumbIssuer/api/json");
    assert_string_equal(sent[0].userpwd, "bot:tok-1234567890");
    assert_int_equal(sent[0].nheaders, 0);
    harness_answer(200, "{\"crumbRequestField\": \"Jenkins-Crumb\", \"crumb\": \"c0ffee\"}", NULL);
    assert_sent(1, "GET", "https://ci.acme.test/api/json");
    assert_true(sent_header(1, "Jenkins-Crumb: c0ffee")); /* from now on */
    harness_answer(200, "{\"mode\": \"NORMAL\"}", NULL);
    assert_sent(2, "GET", "https://ci.acme.test/job/mobile/job/ios%20build/api/json");
    assert_true(sent_header(2, "Jenkins-Crumb: c0ffee"));
    harness_answer(200, "{\"name\": \"ios build\"}", NULL);
    assert_ended(VERDICT_VALID, "the job mobile/ios build exists");
    assert_true(json_is_true(json_object_get(call->output, "crumbs")));

    /* Crumbs off (404): no crumb header; a missing job is INVALID. */
    harness_start("JENKINS", JENKINS, NULL, NULL);
    harness_answer(404, "", NULL);
    assert_int_equal(sent[1].nheaders, 0);
    harness_answer(200, "{}", NULL);
    harness_answer(404, "", NULL);
    assert_ended(VERDICT_INVALID, "job mobile/ios build not found on Jenkins");
    assert_true(json_is_false(json_object_get(call->output, "crumbs")));

    harness_start("JENKINS", JENKINS, NULL, NULL);
    harness_answer(401, "", NULL);
    assert_ended(VERDICT_INVALID, "Jenkins rejected the user name or API token");
    assert_int_equal(nsent, 1);
}

#define SCM(server) "{\"organization\": \"acme\", \"repoName\": \"app\", \"accessToken\": \"scm-token-123456\"" server "}"

static void test_github_actions(void **state)
{
    (void)state;
    harness_start("GITHUB_ACTIONS", "{\"githubWorkflowPath\": \".github/workflows/ios build.yml\"}", SCM(""), NULL);
    assert_sent(0, "GET", "https://api.github.com/repos/acme/app/actions/workflows/ios%20build.yml");
    assert_true(sent_header(0, "Authorization: Bearer scm-token-123456"));
    assert_true(sent_header(0, "X-GitHub-Api-Version: 2022-11-28"));
    harness_answer(200, "{\"id\": 161335}", NULL);
    assert_ended(VERDICT_VALID, "the workflow .github/workflows/ios build.yml exists in acme/app");

    harness_start("GITHUB_ACTIONS", "{\"githubWorkflowPath\": \".github/workflows/ios.yml\"}",
                  SCM(", \"serverUrl\": \"https://ghe.acme.test/api/v3\""), NULL);
    assert_sent(0, "GET", "https://ghe.acme.test/api/v3/repos/acme/app/actions/workflows/ios.yml");
    harness_answer(404, "{}", NULL);
    assert_ended(VERDICT_INVALID, "workflow .github/workflows/ios.yml not found in acme/app (is the file on the default branch?)");
}

static void test_gitlab_ci(void **state)
{
    (void)state;
    harness_start("GITLAB_CI", "{}", SCM(""), NULL);
    assert_sent(0, "GET", "https://gitlab.com/api/v4/projects/acme%2Fapp/pipelines?per_page=1");
    assert_true(sent_header(0, "PRIVATE-TOKEN: scm-token-123456"));
    harness_answer(200, "[]", NULL);
    assert_ended(VERDICT_VALID, "GitLab CI/CD answers for acme/app");

    harness_start("GITLAB_CI", "{}", SCM(", \"serverUrl\": \"https://git.acme.test\""), NULL);
    assert_sent(0, "GET", "https://git.acme.test/api/v4/projects/acme%2Fapp/pipelines?per_page=1");
    harness_answer(404, "{}", NULL);
    assert_ended(VERDICT_INVALID, "project acme/app not found, or CI/CD is not enabled for it");
}

static void test_circleci(void **state)
{
    (void)state;
    harness_start("CIRCLECI", "{\"circleciProjectSlug\": \"gh/acme/app\", \"circleciApiToken\": \"circle-1234567890\"}", NULL,
                  NULL);
    assert_sent(0, "GET", "https://circleci.com/api/v2/project/gh/acme/app");
    assert_true(sent_header(0, "Circle-Token: circle-1234567890"));
    harness_answer(200, "{\"slug\": \"gh/acme/app\"}", NULL);
    assert_ended(VERDICT_VALID, "CircleCI accepts the token for gh/acme/app");

    harness_start("CIRCLECI", "{\"circleciProjectSlug\": \"gh/acme/app\", \"circleciApiToken\": \"circle-1234567890\"}", NULL,
                  NULL);
    harness_fail(OUTBOUND_TLS);
    assert_ended(VERDICT_NONE, "the TLS certificate of CircleCI could not be verified");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jenkins),
        cmocka_unit_test(test_github_actions),
        cmocka_unit_test(test_gitlab_ci),
        cmocka_unit_test(test_circleci),
    };
    return cmocka_run_group_tests(tests, NULL, harness_teardown);
}
