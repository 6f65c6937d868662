/*
 * Unit tests of the source-control ref ops kickoff uses (docs/releases.md):
 * resolve a ref, make a branch, make a tag, on GitHub, GitLab, Bitbucket and
 * Gitea: the requests each builds and what it makes of each answer.
 */
#include "provider_harness.h"
#include "providers/scm/scm.h"

#define REPO "\"organization\": \"acme\", \"repoName\": \"app\", \"accessToken\": \"tok-1234567890\""
#define SHA "0123456789abcdef0123456789abcdef01234567"
#define OTHER "fedcba9876543210fedcba9876543210fedcba98"

static const struct provider *prov(const char *type)
{
    harness_config();
    return provider_by_type(type);
}

static void run(const char *type, provider_step_fn op, const char *config, const char *input)
{
    provider_call_run(harness_call(type, op, config, NULL, input));
}

/* One provider's answers, in its own shapes. */
struct shapes {
    const char *type, *config;
    const char *commit_url, *commit_answer;
    const char *branch_url, *branch_answer; /* the branch release/1.2.0 at SHA */
    const char *create_branch_url, *create_branch_body;
    const char *tag_url, *tag_answer; /* the tag v1.2.0-rc.1 at SHA */
    const char *create_tag_url, *create_tag_body;
    long exists; /* what a make of an existing ref answers */
    const char *auth;
};

static const struct shapes all[] = {
    {"GITHUB", "{" REPO "}", "https://api.github.com/repos/acme/app/commits/main", "{\"sha\": \"" SHA "\"}",
     "https://api.github.com/repos/acme/app/git/ref/heads/release/1.2.0",
     "{\"ref\": \"refs/heads/release/1.2.0\", \"object\": {\"sha\": \"" SHA "\", \"type\": \"commit\"}}",
     "https://api.github.com/repos/acme/app/git/refs", "{\"ref\":\"refs/heads/release/1.2.0\",\"sha\":\"" SHA "\"}",
     "https://api.github.com/repos/acme/app/git/ref/tags/v1.2.0-rc.1",
     "{\"ref\": \"refs/tags/v1.2.0-rc.1\", \"object\": {\"sha\": \"" SHA "\", \"type\": \"commit\"}}",
     "https://api.github.com/repos/acme/app/git/refs", "{\"ref\":\"refs/tags/v1.2.0-rc.1\",\"sha\":\"" SHA "\"}", 422,
     "Authorization: Bearer tok-1234567890"},
    {"GITLAB", "{" REPO "}", "https://gitlab.com/api/v4/projects/acme%2Fapp/repository/commits/main", "{\"id\": \"" SHA "\"}",
     "https://gitlab.com/api/v4/projects/acme%2Fapp/repository/branches/release%2F1.2.0",
     "{\"name\": \"release/1.2.0\", \"commit\": {\"id\": \"" SHA "\"}}",
     "https://gitlab.com/api/v4/projects/acme%2Fapp/repository/branches", "{\"branch\":\"release/1.2.0\",\"ref\":\"" SHA "\"}",
     "https://gitlab.com/api/v4/projects/acme%2Fapp/repository/tags/v1.2.0-rc.1",
     "{\"name\": \"v1.2.0-rc.1\", \"commit\": {\"id\": \"" SHA "\"}}",
     "https://gitlab.com/api/v4/projects/acme%2Fapp/repository/tags", "{\"tag_name\":\"v1.2.0-rc.1\",\"ref\":\"" SHA "\"}", 400,
     "PRIVATE-TOKEN: tok-1234567890"},
    {"BITBUCKET", "{" REPO "}", "https://api.bitbucket.org/2.0/repositories/acme/app/commit/main", "{\"hash\": \"" SHA "\"}",
     "https://api.bitbucket.org/2.0/repositories/acme/app/refs/branches/release/1.2.0",
     "{\"name\": \"release/1.2.0\", \"target\": {\"hash\": \"" SHA "\"}}",
     "https://api.bitbucket.org/2.0/repositories/acme/app/refs/branches",
     "{\"name\":\"release/1.2.0\",\"target\":{\"hash\":\"" SHA "\"}}",
     "https://api.bitbucket.org/2.0/repositories/acme/app/refs/tags/v1.2.0-rc.1",
     "{\"name\": \"v1.2.0-rc.1\", \"target\": {\"hash\": \"" SHA "\"}}",
     "https://api.bitbucket.org/2.0/repositories/acme/app/refs/tags",
     "{\"name\":\"v1.2.0-rc.1\",\"target\":{\"hash\":\"" SHA "\"}}", 400, "Authorization: Bearer tok-1234567890"},
    {"GITEA", "{" REPO ", \"serverUrl\": \"https://gitea.acme.test\"}",
     "https://gitea.acme.test/api/v1/repos/acme/app/commits?sha=main&limit=1&stat=false&verification=false&files=false",
     "[{\"sha\": \"" SHA "\"}]", "https://gitea.acme.test/api/v1/repos/acme/app/branches/release/1.2.0",
     "{\"name\": \"release/1.2.0\", \"commit\": {\"id\": \"" SHA "\"}}", "https://gitea.acme.test/api/v1/repos/acme/app/branches",
     "{\"new_branch_name\":\"release/1.2.0\",\"old_ref_name\":\"" SHA "\"}",
     "https://gitea.acme.test/api/v1/repos/acme/app/tags/v1.2.0-rc.1",
     "{\"name\": \"v1.2.0-rc.1\", \"commit\": {\"sha\": \"" SHA "\"}}", "https://gitea.acme.test/api/v1/repos/acme/app/tags",
     "{\"tag_name\":\"v1.2.0-rc.1\",\"target\":\"" SHA "\"}", 409, "Authorization: token tok-1234567890"},
};

static void test_resolve(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(all); i++) {
        const struct shapes *s = &all[i];
        run(s->type, prov(s->type)->ops->scm_resolve_ref, s->config, "{\"ref\": \"main\"}");
        assert_int_equal(nsent, 1);
        assert_sent(0, "GET", s->commit_url);
        assert_true(sent_header(0, s->auth));
        assert_false(sent[0].has_body);
        harness_answer(200, s->commit_answer, NULL);
        assert_ended(VERDICT_VALID, "main is at commit " SHA);
        assert_string_equal(output_text("sha"), SHA);

        /* An unknown ref names itself; no answer is no verdict. */
        run(s->type, prov(s->type)->ops->scm_resolve_ref, s->config, "{\"ref\": \"main\"}");
        harness_answer(strcmp(s->type, "GITHUB") == 0 ? 422 : 404, "{\"message\": \"No commit found for SHA: main\"}", NULL);
        assert_ended(VERDICT_INVALID, "acme/app has no branch, tag or commit main");
        run(s->type, prov(s->type)->ops->scm_resolve_ref, s->config, "{\"ref\": \"main\"}");
        harness_answer(503, "{}", NULL);
        assert_ended(VERDICT_NONE, "(a problem on its side)");
        run(s->type, prov(s->type)->ops->scm_resolve_ref, s->config, "{\"ref\": \"main\"}");
        harness_answer(401, "{}", NULL);
        assert_ended(VERDICT_INVALID, "rejected the token");
    }
}

/* One ref kind: made when absent; found at the same commit; at another; a make that races. */
static void ref_cases(const struct shapes *s, provider_step_fn op, const char *url, const char *answer, const char *create_url,
                      const char *create_body, const char *name, const char *what)
{
    char input[300], msg[300], other_answer[600];
    const char *at;

    snprintf(input, sizeof input, "{\"name\": \"%s\", \"sha\": \"" SHA "\"}", name);

    run(s->type, op, s->config, input);
    assert_sent(0, "GET", url);
    harness_answer(404, "{\"message\": \"Not Found\"}", NULL);
    assert_sent(1, "POST", create_url);
    assert_true(sent_header(1, s->auth));
    assert_true(sent_header(1, "Content-Type: application/json"));
    assert_string_equal(sent[1].body, create_body);
    harness_answer(201, answer, NULL);
    snprintf(msg, sizeof msg, "made the %s %s at commit " SHA, what, name);
    assert_ended(VERDICT_VALID, msg);
    assert_true(json_is_true(json_object_get(call->output, "created")));
    assert_string_equal(output_text("name"), name);

    run(s->type, op, s->config, input);
    harness_answer(200, answer, NULL);
    snprintf(msg, sizeof msg, "the %s %s already exists at commit " SHA, what, name);
    assert_ended(VERDICT_VALID, msg);
    assert_int_equal(nsent, 1); /* read, never written */
    assert_true(json_is_false(json_object_get(call->output, "created")));

    /* At another commit: refused, naming both commits. */
    at = strstr(answer, SHA);
    assert_non_null(at);
    snprintf(other_answer, sizeof other_answer, "%.*s%s%s", (int)(at - answer), answer, OTHER, at + strlen(SHA));
    run(s->type, op, s->config, input);
    harness_answer(200, other_answer, NULL);
    snprintf(msg, sizeof msg, "the %s %s already exists at commit " OTHER ", not at " SHA, what, name);
    assert_ended(VERDICT_INVALID, msg);
    assert_int_equal(nsent, 1);

    /* Absent, then made by someone else before the make: read again, once. */
    run(s->type, op, s->config, input);
    harness_answer(404, "{}", NULL);
    harness_answer(s->exists, "{\"message\": \"already exists\"}", NULL);
    assert_sent(2, "GET", url);
    harness_answer(200, answer, NULL);
    assert_ended(VERDICT_VALID, "already exists at commit " SHA);
    run(s->type, op, s->config, input);
    harness_answer(404, "{}", NULL);
    harness_answer(s->exists, "{}", NULL);
    harness_answer(404, "{}", NULL);
    harness_answer(s->exists, "{}", NULL);
    assert_true(finished);
    assert_int_equal(call->verdict, VERDICT_INVALID);
    assert_int_equal(nsent, 4);

    /* The provider down: no verdict, nothing written. */
    run(s->type, op, s->config, input);
    harness_answer(503, "{}", NULL);
    assert_ended(VERDICT_NONE, "try again later");
    run(s->type, op, s->config, input);
    harness_fail(OUTBOUND_TIMEOUT);
    assert_ended(VERDICT_NONE, "did not answer in time");
    run(s->type, op, s->config, "{\"name\": \"x\"}");
    assert_ended(VERDICT_INVALID, "needs a name and a commit");
    assert_int_equal(nsent, 0);
}

static void test_branches_and_tags(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(all); i++) {
        const struct shapes *s = &all[i];
        ref_cases(s, prov(s->type)->ops->scm_create_branch, s->branch_url, s->branch_answer, s->create_branch_url,
                  s->create_branch_body, "release/1.2.0", "branch");
        ref_cases(s, prov(s->type)->ops->scm_create_tag, s->tag_url, s->tag_answer, s->create_tag_url, s->create_tag_body,
                  "v1.2.0-rc.1", "tag");
    }
}

/* A make interrupted after its state was saved resumes with the make, not the read. */
static void test_resume_at_create(void **state)
{
    json_t *saved;
    struct err err;
    (void)state;

    run("GITHUB", prov("GITHUB")->ops->scm_create_branch, "{" REPO "}", "{\"name\": \"release/2.0\", \"sha\": \"" SHA "\"}");
    harness_answer(404, "{}", NULL);
    saved = provider_state_save(&call->state);
    harness_call("GITHUB", prov("GITHUB")->ops->scm_create_branch, "{" REPO "}", NULL,
                 "{\"name\": \"release/2.0\", \"sha\": \"" SHA "\"}");
    err_clear(&err);
    assert_int_equal(provider_state_load(call, saved, &err), ERR_OK);
    json_decref(saved);
    provider_call_run(call);
    assert_sent(0, "POST", "https://api.github.com/repos/acme/app/git/refs");
    harness_answer(422, "{\"message\": \"Reference already exists\"}", NULL); /* the first make had landed */
    assert_sent(1, "GET", "https://api.github.com/repos/acme/app/git/ref/heads/release/2.0");
    harness_answer(200, "{\"object\": {\"sha\": \"" SHA "\"}}", NULL);
    assert_ended(VERDICT_VALID, "already exists");
}

static void test_escaping(void **state)
{
    char out[PROVIDER_URL_MAX];
    (void)state;
    assert_string_equal(scm_escape_ref("release/1.2 beta", out, sizeof out), "release/1.2%20beta");
    run("GITLAB", prov("GITLAB")->ops->scm_create_tag, "{" REPO "}", "{\"name\": \"v1/rc#1\", \"sha\": \"" SHA "\"}");
    assert_sent(0, "GET", "https://gitlab.com/api/v4/projects/acme%2Fapp/repository/tags/v1%2Frc%231");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_resolve), cmocka_unit_test(test_branches_and_tags),
                                       cmocka_unit_test(test_resume_at_create), cmocka_unit_test(test_escaping)};
    return cmocka_run_group_tests(tests, NULL, harness_teardown);
}
