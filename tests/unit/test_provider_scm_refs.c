/*
 * Unit tests of the source-control ref ops kickoff uses (docs/releases.md):
 * resolve a ref, make a branch, make a tag, on GitHub, GitLab, Bitbucket and
 * Gitea: the requests each builds and what it makes of each answer; and of
 * their repository listing, page by page (docs/deployments.md).
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

/* A provider in trouble (503) is no verdict; a refused token (401) is INVALID. */
static void unanswered_and_refused(const char *type, provider_step_fn op, const char *config, const char *input)
{
    run(type, op, config, input);
    harness_answer(503, "{}", NULL);
    assert_ended(VERDICT_NONE, "(a problem on its side)");
    run(type, op, config, input);
    harness_answer(401, "{}", NULL);
    assert_ended(VERDICT_INVALID, "rejected the token");
}

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
        unanswered_and_refused(s->type, prov(s->type)->ops->scm_resolve_ref, s->config, "{\"ref\": \"main\"}");
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

/* ---- the repository listing (docs/deployments.md "Repositories") ---- */

/* One provider's first page, its answer naming the next page its own way, and the last page. */
struct listing {
    const char *type, *config, *first_url, *page1, *headers1, *next_url, *page2, *auth;
};

static const struct listing listings[] = {
    {"GITHUB", "{" REPO "}", "https://api.github.com/user/repos?per_page=100&sort=full_name",
     "[{\"id\": 11, \"full_name\": \"acme/app\", \"default_branch\": \"main\", \"private\": true, \"html_url\": "
     "\"https://github.com/acme/app\"}]",
     "Link: <https://api.github.com/user/repos?per_page=100&sort=full_name&page=2>; rel=\"next\", "
     "<https://api.github.com/user/repos?per_page=100&sort=full_name&page=2>; rel=\"last\"\r\n",
     "https://api.github.com/user/repos?per_page=100&sort=full_name&page=2",
     "[{\"id\": 12, \"full_name\": \"acme/web\", \"default_branch\": \"trunk\", \"private\": false}]",
     "Authorization: Bearer tok-1234567890"},
    {"GITLAB", "{" REPO "}", "https://gitlab.com/api/v4/projects?membership=true&per_page=100&order_by=id&sort=asc",
     "[{\"id\": 11, \"path_with_namespace\": \"acme/app\", \"default_branch\": \"main\", \"visibility\": \"internal\", "
     "\"web_url\": \"https://gitlab.com/acme/app\"}]",
     "X-Page: 1\r\nX-Next-Page: 2\r\n",
     "https://gitlab.com/api/v4/projects?membership=true&per_page=100&order_by=id&sort=asc&page=2",
     "[{\"id\": 12, \"path_with_namespace\": \"acme/web\", \"default_branch\": \"trunk\", \"visibility\": \"public\"}]",
     "PRIVATE-TOKEN: tok-1234567890"},
    {"BITBUCKET", "{" REPO "}", "https://api.bitbucket.org/2.0/repositories?role=member&pagelen=100",
     "{\"values\": [{\"uuid\": \"{11}\", \"full_name\": \"acme/app\", \"mainbranch\": {\"name\": \"main\"}, \"is_private\": true, "
     "\"links\": {\"html\": {\"href\": \"https://bitbucket.org/acme/app\"}}}], "
     "\"next\": \"https://api.bitbucket.org/2.0/repositories?role=member&pagelen=100&page=2\"}",
     NULL, "https://api.bitbucket.org/2.0/repositories?role=member&pagelen=100&page=2",
     "{\"values\": [{\"uuid\": \"{12}\", \"full_name\": \"acme/web\", \"mainbranch\": {\"name\": \"trunk\"}, \"is_private\": "
     "false}]}",
     "Authorization: Bearer tok-1234567890"},
    {"GITEA", "{" REPO ", \"serverUrl\": \"https://gitea.acme.test\"}", "https://gitea.acme.test/api/v1/user/repos?limit=50",
     "[{\"id\": 11, \"full_name\": \"acme/app\", \"default_branch\": \"main\", \"private\": true, \"html_url\": "
     "\"https://gitea.acme.test/acme/app\"}]",
     "Link: <https://gitea.acme.test/api/v1/user/repos?limit=50&page=2>; rel=\"next\",<https://gitea.acme.test/api/v1/user/"
     "repos?limit=50&page=2>; rel=\"last\"\r\nX-Total-Count: 2\r\n",
     "https://gitea.acme.test/api/v1/user/repos?limit=50&page=2",
     "[{\"id\": 12, \"full_name\": \"acme/web\", \"default_branch\": \"trunk\", \"private\": false}]",
     "Authorization: token tok-1234567890"},
};

static void test_list_repos(void **state)
{
    char input[PROVIDER_URL_MAX + 20];
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(listings); i++) {
        const struct listing *l = &listings[i];
        json_t *first;

        run(l->type, prov(l->type)->ops->scm_list_repos, l->config, "{}");
        assert_sent(0, "GET", l->first_url);
        assert_true(sent_header(0, l->auth));
        harness_answer(200, l->page1, l->headers1);
        assert_ended(VERDICT_VALID, "1 repositories on this page, more follow");
        assert_string_equal(output_text("next"), l->next_url);
        first = json_array_get(json_object_get(call->output, "repositories"), 0);
        assert_string_equal(json_string_value(json_object_get(first, "fullName")), "acme/app");
        assert_string_equal(json_string_value(json_object_get(first, "defaultBranch")), "main");
        assert_true(json_is_true(json_object_get(first, "private")));
        assert_non_null(strstr(json_string_value(json_object_get(first, "id")), "11"));
        assert_non_null(strstr(json_string_value(json_object_get(first, "webUrl")), "acme/app"));

        snprintf(input, sizeof input, "{\"page\": \"%s\"}", l->next_url);
        run(l->type, prov(l->type)->ops->scm_list_repos, l->config, input);
        assert_sent(0, "GET", l->next_url);
        assert_true(sent_header(0, l->auth));
        harness_answer(200, l->page2, NULL);
        assert_ended(VERDICT_VALID, "1 repositories on this page");
        assert_null(json_object_get(call->output, "next"));
        first = json_array_get(json_object_get(call->output, "repositories"), 0);
        assert_string_equal(json_string_value(json_object_get(first, "defaultBranch")), "trunk");
        assert_true(json_is_false(json_object_get(first, "private")));

        /* The token goes to the provider's API only, whatever a page or an answer names. */
        run(l->type, prov(l->type)->ops->scm_list_repos, l->config, "{\"page\": \"https://evil.test/user/repos\"}");
        assert_int_equal(nsent, 0);
        assert_ended(VERDICT_INVALID, "not on");
        run(l->type, prov(l->type)->ops->scm_list_repos, l->config, "{}");
        harness_answer(200, strcmp(l->type, "BITBUCKET") == 0 ? "{\"values\": [], \"next\": \"https://evil.test/2.0\"}" : "[]",
                       "Link: <https://evil.test/next>; rel=\"next\"\r\n");
        assert_ended(VERDICT_INVALID, "outside its API");

        unanswered_and_refused(l->type, prov(l->type)->ops->scm_list_repos, l->config, "{}");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_resolve), cmocka_unit_test(test_branches_and_tags),
                                       cmocka_unit_test(test_resume_at_create), cmocka_unit_test(test_escaping),
                                       cmocka_unit_test(test_list_repos)};
    return cmocka_run_group_tests(tests, NULL, harness_teardown);
}
