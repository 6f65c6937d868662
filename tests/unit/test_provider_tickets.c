/* Unit tests of the ticket, test-management and code-signing providers. */
#include "provider_harness.h"

#include "test_keys.h"

#define JIRA                                                                                                                       \
    "{\"jiraUrl\": \"https://acme.atlassian.net\", \"jiraEmail\": \"me@acme.test\", \"jiraApiToken\": \"jira-1234567890\", "       \
    "\"jiraProjectKey\": \"APP\"}"

static void test_jira(void **state)
{
    (void)state;
    harness_start("JIRA", JIRA, NULL, NULL);
    assert_sent(0, "GET", "https://acme.atlassian.net/rest/api/3/myself");
    assert_string_equal(sent[0].userpwd, "me@acme.test:jira-1234567890");
    assert_true(sent_header(0, "Accept: application/json"));
    harness_answer(200, "{\"accountId\": \"x\"}", NULL);
    assert_sent(1, "GET", "https://acme.atlassian.net/rest/api/3/project/APP");
    harness_answer(200, "{\"key\": \"APP\"}", NULL);
    assert_ended(VERDICT_VALID, "project APP exists");

    harness_start("JIRA", JIRA, NULL, NULL);
    harness_answer(200, "{}", NULL);
    harness_answer(404, "{}", NULL);
    assert_ended(VERDICT_INVALID, "project APP not found, or the user cannot browse it");
}

#define LINEAR "{\"linearApiKey\": \"lin_api_1234567890\", \"linearTeamId\": \"TEAM-1\"}"

static void test_linear(void **state)
{
    json_t *body;
    (void)state;
    harness_start("LINEAR", LINEAR, NULL, NULL);
    assert_sent(0, "POST", "https://api.linear.app/graphql");
    assert_true(sent_header(0, "Authorization: lin_api_1234567890"));
    assert_true(sent_header(0, "Content-Type: application/json"));
    body = harness_json(sent[0].body);
    assert_non_null(strstr(json_string_value(json_object_get(body, "query")), "team(id: $team)"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(body, "variables"), "team")), "TEAM-1");
    json_decref(body);
    harness_answer(200, "{\"data\": {\"viewer\": {\"id\": \"u\"}, \"team\": {\"id\": \"TEAM-1\"}}}", NULL);
    assert_ended(VERDICT_VALID, "Linear accepts the API key");

    harness_start("LINEAR", LINEAR, NULL, NULL);
    harness_answer(
        200, "{\"data\": {\"viewer\": {\"id\": \"u\"}, \"team\": null}, \"errors\": [{\"message\": \"Entity not found\"}]}", NULL);
    assert_ended(VERDICT_INVALID, "team TEAM-1 not found in Linear");

    harness_start("LINEAR", LINEAR, NULL, NULL);
    harness_answer(200, "{\"errors\": [{\"message\": \"bad\", \"extensions\": {\"code\": \"AUTHENTICATION_ERROR\"}}]}", NULL);
    assert_ended(VERDICT_INVALID, "Linear rejected the API key");
}

static void test_azure_devops(void **state)
{
    (void)state;
    harness_start("AZURE_DEVOPS",
                  "{\"azureOrganization\": \"acme\", \"azureProject\": \"Mobile App\", \"azurePatToken\": \"pat-123\"}", NULL,
                  NULL);
    assert_sent(0, "GET", "https://dev.azure.com/acme/_apis/projects/Mobile%20App?api-version=7.0");
    assert_string_equal(sent[0].userpwd, ":pat-123");
    harness_answer(203, "<html>sign in</html>", NULL); /* Azure's answer to a bad token */
    assert_ended(VERDICT_INVALID, "Azure DevOps rejected the personal access token");

    harness_start("AZURE_DEVOPS",
                  "{\"azureOrganization\": \"acme\", \"azureProject\": \"App\", \"azurePatToken\": \"pat-123\", "
                  "\"azureUrl\": \"https://tfs.acme.test/\"}",
                  NULL, NULL);
    assert_sent(0, "GET", "https://tfs.acme.test/acme/_apis/projects/App?api-version=7.0");
    harness_answer(200, "{\"name\": \"App\"}", NULL);
    assert_ended(VERDICT_VALID, "project App exists");
}

static void test_test_rail(void **state)
{
    const char *config = "{\"testRailUrl\": \"https://acme.testrail.io\", \"testRailUsername\": \"qa@acme.test\", "
                         "\"testRailApiKey\": \"tr-1234567890\", \"testRailProjectId\": 7}";
    (void)state;
    harness_start("TEST_RAIL", config, NULL, NULL);
    assert_sent(0, "GET", "https://acme.testrail.io/index.php?/api/v2/get_project/7");
    assert_string_equal(sent[0].userpwd, "qa@acme.test:tr-1234567890");
    harness_answer(200, "{\"id\": 7}", NULL);
    assert_ended(VERDICT_VALID, "project 7 exists");

    harness_start("TEST_RAIL", config, NULL, NULL);
    harness_answer(400, "{\"error\": \"Field :project_id is not a valid or accessible project.\"}", NULL);
    assert_ended(VERDICT_INVALID, "project 7 not found in TestRail");
}

static void verify_certificate(long days_from, long days_to)
{
    char *pem = pem_certificate(days_from, days_to), *config;
    json_t *c = json_pack("{s:s, s:s, s:s}", "platform", "IOS", "certificateFormat", "PEM", "certificateData", pem);
    config = json_dumps(c, JSON_COMPACT);
    harness_start("CODE_SIGNING", config, NULL, NULL);
    assert_int_equal(nsent, 0); /* no network */
    json_decref(c);
    free(config);
    free(pem);
}

static void test_code_signing(void **state)
{
    const struct provider *p;
    json_t *c;
    struct err err;
    (void)state;

    verify_certificate(-1, 30);
    assert_ended(VERDICT_VALID, "the certificate opens with its password and is valid until");
    assert_non_null(strstr(output_text("subject"), "Acme Signing"));
    verify_certificate(-30, -1);
    assert_ended(VERDICT_EXPIRED, "the certificate expired on");
    verify_certificate(2, 30);
    assert_ended(VERDICT_INVALID, "the certificate is not valid yet");
    harness_start("CODE_SIGNING", "{\"platform\": \"IOS\", \"certificateFormat\": \"PEM\", \"certificateData\": \"junk\"}", NULL,
                  NULL);
    assert_int_equal(call->verdict, VERDICT_INVALID);

    /* Saving fills the computed fields; the expiry one is named. */
    p = provider_by_type("CODE_SIGNING");
    char *pem = pem_certificate(-1, 30);
    c = json_pack("{s:s, s:s}", "certificateFormat", "PEM", "certificateData", pem);
    err_clear(&err);
    p->prepare(c, &err);
    assert_int_equal(err.ndetails, 0);
    for (const char *const *x = p->computed; *x; x++)
        assert_true(json_is_string(json_object_get(c, *x)));
    assert_true(json_is_string(json_object_get(c, p->expiry)));
    json_decref(c);
    free(pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jira),      cmocka_unit_test(test_linear),       cmocka_unit_test(test_azure_devops),
        cmocka_unit_test(test_test_rail), cmocka_unit_test(test_code_signing),
    };
    return cmocka_run_group_tests(tests, NULL, harness_teardown);
}
