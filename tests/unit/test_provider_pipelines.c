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

/* ---- builds: trigger (read before write) and status ---- */

#define CORR "job-7-step-2"
#define BUILD_INPUT                                                                                                                \
    "{\"ref\": \"release/1.2.0\", \"parameters\": {\"version\": \"1.2.0\", \"candidate\": 1, \"buildNumber\": 42}, "               \
    "\"correlationId\": \"" CORR "\"}"

static struct provider_call *ci_run(const char *type, bool trigger, const char *config, const char *scm, const char *input)
{
    const struct provider *p = provider_by_type(type);
    struct provider_call *c;
    harness_config();
    p = provider_by_type(type);
    c = harness_call(type, trigger ? p->ops->ci_trigger : p->ops->ci_status, config, scm, input);
    provider_call_run(c);
    return c;
}

#define WORKFLOW "{\"githubWorkflowPath\": \".github/workflows/ios.yml\"}"
#define GH_RUNS                                                                                                                    \
    "https://api.github.com/repos/acme/app/actions/workflows/ios.yml/"                                                             \
    "runs?branch=release%2F1.2.0&event=workflow_dispatch&per_page=50"
#define GH_RUN(status, conclusion)                                                                                                 \
    "{\"id\": 30433642, \"run_number\": 7, \"display_title\": \"" CORR "\", \"status\": \"" status                                 \
    "\", \"conclusion\": " conclusion ", \"html_url\": \"https://github.com/acme/app/actions/runs/30433642\"}"

static void test_github_actions_builds(void **state)
{
    (void)state;
    /* Not listed: dispatched with the inputs as text, then found by its name. */
    ci_run("GITHUB_ACTIONS", true, WORKFLOW, SCM(""), BUILD_INPUT);
    assert_sent(0, "GET", GH_RUNS);
    assert_true(sent_header(0, "Authorization: Bearer scm-token-123456"));
    harness_answer(200, "{\"total_count\": 1, \"workflow_runs\": [{\"id\": 1, \"display_title\": \"other\"}]}", NULL);
    assert_sent(1, "POST", "https://api.github.com/repos/acme/app/actions/workflows/ios.yml/dispatches");
    assert_string_equal(sent[1].body, "{\"ref\":\"release/1.2.0\",\"inputs\":{\"version\":\"1.2.0\",\"candidate\":\"1\","
                                      "\"buildNumber\":\"42\",\"slipway_build_id\":\"" CORR "\"}}");
    harness_answer(204, "", NULL);
    assert_sent(2, "GET", GH_RUNS);
    harness_answer(200, "{\"workflow_runs\": [" GH_RUN("queued", "null") "]}", NULL);
    assert_ended(VERDICT_VALID, "GitHub Actions run 30433642 on release/1.2.0 is this build's");
    assert_string_equal(output_text("runId"), "30433642");
    assert_string_equal(output_text("url"), "https://github.com/acme/app/actions/runs/30433642");
    assert_string_equal(output_text("status"), "queued");
    assert_int_equal(json_integer_value(json_object_get(call->output, "number")), 7);

    /* Already there (a step run again): nothing dispatched. */
    ci_run("GITHUB_ACTIONS", true, WORKFLOW, SCM(""), BUILD_INPUT);
    harness_answer(200, "{\"workflow_runs\": [" GH_RUN("in_progress", "null") "]}", NULL);
    assert_ended(VERDICT_VALID, "is this build's");
    assert_int_equal(nsent, 1);
    assert_string_equal(output_text("status"), "running");

    /* Dispatched, never listed: no verdict, triggered; asked again with noTrigger it only looks. */
    ci_run("GITHUB_ACTIONS", true, WORKFLOW, SCM(""), BUILD_INPUT);
    harness_answer(200, "{\"workflow_runs\": []}", NULL);
    harness_answer(204, "", NULL);
    for (int i = 0; i < 3; i++)
        harness_answer(200, "{\"workflow_runs\": []}", NULL);
    assert_ended(VERDICT_NONE, "has not listed the run of this build");
    assert_true(json_is_true(json_object_get(call->output, "triggered")));
    assert_int_equal(nsent, 5);
    ci_run("GITHUB_ACTIONS", true, WORKFLOW, SCM(""),
           "{\"ref\": \"release/1.2.0\", \"correlationId\": \"" CORR "\", \"noTrigger\": true}");
    harness_answer(200, "{\"workflow_runs\": []}", NULL);
    assert_ended(VERDICT_NONE, "has not listed");
    assert_int_equal(nsent, 1);

    /* Refused: a workflow without workflow_dispatch answers 422. */
    ci_run("GITHUB_ACTIONS", true, WORKFLOW, SCM(""), BUILD_INPUT);
    harness_answer(200, "{\"workflow_runs\": []}", NULL);
    harness_answer(422, "{\"message\": \"Workflow does not have 'workflow_dispatch' trigger\"}", NULL);
    assert_ended(VERDICT_INVALID, "GitHub Actions answered 422");
    assert_string_equal(output_text("cause"), "GitHub Actions answered 422: Workflow does not have 'workflow_dispatch' trigger");
    ci_run("GITHUB_ACTIONS", true, WORKFLOW, SCM(""), "{\"ref\": \"release/1.2.0\"}");
    assert_ended(VERDICT_INVALID, "a build needs a ref and a correlation id");

    /* Status. */
    ci_run("GITHUB_ACTIONS", false, WORKFLOW, SCM(""), "{\"runId\": \"30433642\"}");
    assert_sent(0, "GET", "https://api.github.com/repos/acme/app/actions/runs/30433642");
    harness_answer(200, GH_RUN("completed", "\"success\""), NULL);
    assert_ended(VERDICT_VALID, "run 30433642 is succeeded");
    ci_run("GITHUB_ACTIONS", false, WORKFLOW, SCM(""), "{\"runId\": \"30433642\"}");
    harness_answer(200, GH_RUN("completed", "\"failure\""), NULL);
    assert_string_equal(output_text("status"), "failed");
    ci_run("GITHUB_ACTIONS", false, WORKFLOW, SCM(""), "{\"runId\": \"30433642\"}");
    harness_answer(503, "{}", NULL);
    assert_ended(VERDICT_NONE, "");
}

#define GL_LIST "https://gitlab.com/api/v4/projects/acme%2Fapp/pipelines?ref=release%2F1.2.0&name=" CORR "&per_page=20"
#define GL_PIPELINE(status)                                                                                                        \
    "{\"id\": 1001, \"iid\": 12, \"name\": \"" CORR "\", \"status\": \"" status "\", \"web_url\": "                                \
    "\"https://gitlab.com/acme/app/-/pipelines/1001\"}"

static void test_gitlab_ci_builds(void **state)
{
    (void)state;
    ci_run("GITLAB_CI", true, "{}", SCM(""), BUILD_INPUT);
    assert_sent(0, "GET", GL_LIST);
    assert_true(sent_header(0, "PRIVATE-TOKEN: scm-token-123456"));
    harness_answer(200, "[]", NULL);
    assert_sent(1, "POST", "https://gitlab.com/api/v4/projects/acme%2Fapp/pipeline");
    assert_string_equal(sent[1].body,
                        "{\"ref\":\"release/1.2.0\",\"variables\":[{\"key\":\"version\",\"value\":\"1.2.0\"},{\"key\":"
                        "\"candidate\",\"value\":\"1\"},{\"key\":\"buildNumber\",\"value\":\"42\"},{\"key\":\"slipway_build_id\","
                        "\"value\":\"" CORR "\"}]}");
    harness_answer(201, GL_PIPELINE("created"), NULL);
    assert_ended(VERDICT_VALID, "GitLab CI started run 1001 on release/1.2.0");
    assert_string_equal(output_text("runId"), "1001");
    assert_string_equal(output_text("status"), "queued");
    assert_int_equal(json_integer_value(json_object_get(call->output, "number")), 12);

    ci_run("GITLAB_CI", true, "{}", SCM(""), BUILD_INPUT);
    harness_answer(200, "[" GL_PIPELINE("running") "]", NULL);
    assert_ended(VERDICT_VALID, "is this build's");
    assert_int_equal(nsent, 1);

    ci_run("GITLAB_CI", true, "{}", SCM(""), BUILD_INPUT);
    harness_answer(200, "[]", NULL);
    harness_answer(400, "{\"message\": {\"base\": [\"Reference not found\"]}}", NULL);
    assert_ended(VERDICT_INVALID, "");

    ci_run("GITLAB_CI", false, "{}", SCM(""), "{\"runId\": \"1001\"}");
    assert_sent(0, "GET", "https://gitlab.com/api/v4/projects/acme%2Fapp/pipelines/1001");
    harness_answer(200, GL_PIPELINE("failed"), NULL);
    assert_ended(VERDICT_VALID, "run 1001 is failed");
    ci_run("GITLAB_CI", false, "{}", SCM(""), "{\"runId\": \"1001\"}");
    harness_answer(200, GL_PIPELINE("success"), NULL);
    assert_string_equal(output_text("status"), "succeeded");
    ci_run("GITLAB_CI", false, "{}", SCM(""), "{\"runId\": \"1001\"}");
    harness_answer(200, "{\"id\": 1001, \"status\": \"weird\"}", NULL);
    assert_ended(VERDICT_NONE, "without a state it names");
}

#define JK_LIST                                                                                                                    \
    "https://ci.acme.test/job/mobile/job/ios%20build/api/json?tree=builds%5Bnumber%2Curl%2Cresult%2Cbuilding%2Cactions%5B"         \
    "parameters%5Bname%2Cvalue%5D%5D%5D%7B0%2C30%7D"
#define JK_BUILD(building, result)                                                                                                 \
    "{\"number\": 42, \"url\": \"https://ci.acme.test/job/mobile/job/ios%20build/42/\", \"building\": " building                   \
    ", \"result\": " result ", \"actions\": [{}, {\"parameters\": [{\"name\": \"version\", \"value\": \"1.2.0\"}, "                \
    "{\"name\": \"slipway_build_id\", \"value\": \"" CORR "\"}]}]}"

static void test_jenkins_builds(void **state)
{
    (void)state;
    /* Not there: the crumb, then buildWithParameters with the crumb, then the build found by its parameter. */
    ci_run("JENKINS", true, JENKINS, NULL, BUILD_INPUT);
    assert_sent(0, "GET", JK_LIST);
    assert_string_equal(sent[0].userpwd, "bot:tok-1234567890");
    harness_answer(200, "{\"builds\": [{\"number\": 41, \"actions\": []}]}", NULL);
    assert_sent(1, "GET", "https://ci.acme.test/crumbIssuer/api/json");
    harness_answer(200, "{\"crumbRequestField\": \"Jenkins-Crumb\", \"crumb\": \"c0ffee\"}", NULL);
    assert_sent(2, "POST",
                "https://ci.acme.test/job/mobile/job/ios%20build/buildWithParameters?version=1.2.0&candidate=1&buildNumber=42&"
                "slipway_build_id=" CORR "&slipway_ref=release%2F1.2.0");
    assert_true(sent_header(2, "Jenkins-Crumb: c0ffee"));
    harness_answer(201, "", "Location: https://ci.acme.test/queue/item/7/\r\n");
    assert_sent(3, "GET", JK_LIST);
    harness_answer(200, "{\"builds\": [" JK_BUILD("true", "null") "]}", NULL);
    assert_ended(VERDICT_VALID, "Jenkins run mobile/ios build#42 on release/1.2.0 is this build's");
    assert_string_equal(output_text("runId"), "mobile/ios build#42");
    assert_string_equal(output_text("status"), "running");

    /* Already there: nothing posted. */
    ci_run("JENKINS", true, JENKINS, NULL, BUILD_INPUT);
    harness_answer(200, "{\"builds\": [" JK_BUILD("false", "null") "]}", NULL);
    assert_ended(VERDICT_VALID, "is this build's");
    assert_int_equal(nsent, 1);
    assert_string_equal(output_text("status"), "queued");

    /* Status: the build by its number. */
    ci_run("JENKINS", false, JENKINS, NULL, "{\"runId\": \"mobile/ios build#42\"}");
    assert_sent(0, "GET", "https://ci.acme.test/job/mobile/job/ios%20build/42/api/json");
    harness_answer(200, JK_BUILD("false", "\"UNSTABLE\""), NULL);
    assert_ended(VERDICT_VALID, "run mobile/ios build#42 is failed");
    ci_run("JENKINS", false, JENKINS, NULL, "{\"runId\": \"mobile/ios build#42\"}");
    harness_answer(200, JK_BUILD("false", "\"SUCCESS\""), NULL);
    assert_string_equal(output_text("status"), "succeeded");
}

/* ---- CircleCI: the pipeline, then its workflow; and cancel on every CI ---- */

#define CIRCLE                                                                                                                     \
    "{\"circleciProjectSlug\": \"gh/acme/app\", \"circleciApiToken\": \"circle-1234567890\", \"circleciWorkflowName\": "           \
    "\"release\"}"
#define CIRCLE_API "https://circleci.com/api/v2/"
#define CIRCLE_WORKFLOWS                                                                                                           \
    "{\"items\": [{\"id\": \"wf-lint\", \"name\": \"lint\", \"status\": \"running\", \"pipeline_number\": 130}, "                  \
    "{\"id\": \"wf-rel\", \"name\": \"release\", \"status\": \"on_hold\", \"pipeline_number\": 130}]}"

static struct provider_call *ci_op(const char *type, provider_step_fn op, const char *config, const char *scm, const char *input)
{
    struct provider_call *c;
    harness_config();
    c = harness_call(type, op, config, scm, input);
    provider_call_run(c);
    return c;
}

static void test_circleci_builds(void **state)
{
    (void)state;
    ci_run("CIRCLECI", true, CIRCLE, NULL, BUILD_INPUT);
    assert_sent(0, "GET", CIRCLE_API "project/gh/acme/app/pipeline?branch=release%2F1.2.0");
    assert_true(sent_header(0, "Circle-Token: circle-1234567890"));
    harness_answer(200, "{\"items\": [{\"id\": \"p-0\", \"state\": \"created\", \"trigger_parameters\": {}}]}", NULL);
    assert_sent(1, "POST", CIRCLE_API "project/gh/acme/app/pipeline");
    assert_string_equal(sent[1].body, "{\"branch\":\"release/1.2.0\",\"parameters\":{\"version\":\"1.2.0\",\"candidate\":\"1\","
                                      "\"buildNumber\":\"42\",\"slipway_build_id\":\"" CORR "\"}}");
    harness_answer(201, "{\"id\": \"p-1\", \"state\": \"created\", \"number\": 130}", NULL);
    assert_sent(2, "GET", CIRCLE_API "pipeline/p-1/workflow");
    harness_answer(200, "{\"items\": []}", NULL); /* not there yet: asked again */
    assert_sent(3, "GET", CIRCLE_API "pipeline/p-1/workflow");
    harness_answer(200, CIRCLE_WORKFLOWS, NULL);
    assert_ended(VERDICT_VALID, "run wf-rel on release/1.2.0");
    assert_string_equal(output_text("runId"), "wf-rel");
    assert_string_equal(output_text("status"), "running");
    assert_string_equal(output_text("url"), "https://app.circleci.com/pipelines/gh/acme/app/130/workflows/wf-rel");

    /* Found again by its parameter: no second pipeline. */
    ci_run("CIRCLECI", true, CIRCLE, NULL, BUILD_INPUT);
    harness_answer(200,
                   "{\"items\": [{\"id\": \"p-1\", \"state\": \"created\", \"trigger_parameters\": "
                   "{\"slipway_build_id\": \"" CORR "\"}}]}",
                   NULL);
    assert_sent(1, "GET", CIRCLE_API "pipeline/p-1/workflow");
    harness_answer(200, CIRCLE_WORKFLOWS, NULL);
    assert_ended(VERDICT_VALID, "is this build's");
    assert_int_equal(nsent, 2);

    /* Refused: a parameter the config does not declare. */
    ci_run("CIRCLECI", true, CIRCLE, NULL, BUILD_INPUT);
    harness_answer(200, "{\"items\": []}", NULL);
    harness_answer(400, "{\"message\": \"Unexpected argument(s): slipway_build_id\"}", NULL);
    assert_ended(VERDICT_INVALID, "CircleCI answered 400");
    assert_string_equal(output_text("cause"), "CircleCI answered 400: Unexpected argument(s): slipway_build_id");

    /* Status: the workflow. */
    ci_run("CIRCLECI", false, CIRCLE, NULL, "{\"runId\": \"wf-rel\"}");
    assert_sent(0, "GET", CIRCLE_API "workflow/wf-rel");
    harness_answer(200, "{\"id\": \"wf-rel\", \"status\": \"canceled\", \"pipeline_number\": 130}", NULL);
    assert_string_equal(output_text("status"), "cancelled");
}

static void test_ci_cancel(void **state)
{
    static const struct {
        const char *type, *config, *run, *method, *url;
        long ended; /* what the CI answers for a run that had ended */
    } cases[] = {
        {"GITHUB_ACTIONS", WORKFLOW, "30433642", "POST", "https://api.github.com/repos/acme/app/actions/runs/30433642/cancel", 409},
        {"GITLAB_CI", "{}", "1001", "POST", "https://gitlab.com/api/v4/projects/acme%2Fapp/pipelines/1001/cancel", 200},
        {"CIRCLECI", CIRCLE, "wf-rel", "POST", CIRCLE_API "workflow/wf-rel/cancel", 202},
    };
    char input[100];
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        snprintf(input, sizeof input, "{\"runId\": \"%s\"}", cases[i].run);
        ci_op(cases[i].type, provider_by_type(cases[i].type)->ops->ci_cancel, cases[i].config, SCM(""), input);
        assert_sent(0, cases[i].method, cases[i].url);
        harness_answer(cases[i].ended, "{}", NULL);
        assert_ended(VERDICT_VALID, cases[i].run);
        ci_op(cases[i].type, provider_by_type(cases[i].type)->ops->ci_cancel, cases[i].config, SCM(""), input);
        harness_answer(401, "{}", NULL);
        assert_ended(VERDICT_INVALID, "rejected the credentials");
    }
    /* Jenkins: the crumb, then stop (a redirect to the build's page whether it ran or had ended). */
    ci_op("JENKINS", provider_by_type("JENKINS")->ops->ci_cancel, JENKINS, NULL, "{\"runId\": \"mobile/ios build#42\"}");
    assert_sent(0, "GET", "https://ci.acme.test/crumbIssuer/api/json");
    harness_answer(200, "{\"crumbRequestField\": \"Jenkins-Crumb\", \"crumb\": \"c0ffee\"}", NULL);
    assert_sent(1, "POST", "https://ci.acme.test/job/mobile/job/ios%20build/42/stop");
    assert_true(sent_header(1, "Jenkins-Crumb: c0ffee"));
    harness_answer(302, "", "Location: https://ci.acme.test/job/mobile/job/ios%20build/42/\r\n");
    assert_ended(VERDICT_VALID, "mobile/ios build#42 is cancelled, or had ended already");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jenkins),
        cmocka_unit_test(test_github_actions),
        cmocka_unit_test(test_gitlab_ci),
        cmocka_unit_test(test_circleci),
        cmocka_unit_test(test_github_actions_builds),
        cmocka_unit_test(test_gitlab_ci_builds),
        cmocka_unit_test(test_jenkins_builds),
        cmocka_unit_test(test_circleci_builds),
        cmocka_unit_test(test_ci_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, harness_teardown);
}
