/*
 * github_actions.c: GitHub Actions, through the pipeline's GITHUB
 * connection (its token, its serverUrl). docs/verification.md says what
 * verify asks and concludes.
 */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/scm/github.h"

static const char *check_workflow_path(json_t *j)
{
    const char *v = json_string_value(j);
    size_t n = strlen(v);
    bool yml = (n > 4 && strcmp(v + n - 4, ".yml") == 0) || (n > 5 && strcmp(v + n - 5, ".yaml") == 0);
    if (strncmp(v, ".github/workflows/", 18) != 0 || !yml || strchr(v + 18, '/') || n <= 18 + 4)
        return "must be a workflow file, e.g. .github/workflows/ios-build.yml";
    return NULL;
}

static const struct field fields[] = {
    FMT("githubWorkflowPath", true, 512, check_workflow_path, "workflow path"),
    TEXT("githubWorkflowRef", false, 255),
};

/* The workflow, by its file name, in the connection's repository. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *path = provider_text(c, "githubWorkflowPath"), *file = strrchr(path, '/');
    const char *org = provider_scm_text(c, "organization"), *repo = provider_scm_text(c, "repoName");
    char p[PROVIDER_URL_MAX], a[512], b[512], f[512];

    file = file ? file + 1 : path;
    if (!res) {
        snprintf(p, sizeof p, "/repos/%s/%s/actions/workflows/%s", provider_escape(org, a, sizeof a),
                 provider_escape(repo, b, sizeof b), provider_escape(file, f, sizeof f));
        github_get(c, github_base(provider_scm_text(c, "serverUrl")), provider_scm_text(c, "accessToken"), p);
        return;
    }
    if (github_limited(c, res))
        return;
    snprintf(p, sizeof p, "workflow %s not found in %s/%s (is the file on the default branch?)", path, org, repo);
    if (!provider_failed(c, res, "GitHub rejected the connection's token", p))
        provider_finish(c, VERDICT_VALID, "the workflow %s exists in %s/%s", path, org, repo);
}

static const struct provider_ops ops = {
    .verify = verify, .webhook_check = github_webhook_check, .webhook_parse = github_webhook_parse};
static struct provider_setting *const settings[] = {&github_budget, NULL};

struct provider github_actions_provider = {
    .type = "GITHUB_ACTIONS",
    .kind = "github-actions",
    .display = "GitHub Actions",
    .category = CAT_PIPELINES,
    FIELDS(fields),
    .scm_type = "GITHUB",
    .flag = "ENABLE_GITHUB_ACTIONS_INTEGRATION",
    .base_url = &github_api,
    .settings = settings,
    .caps = CAP_VERIFY | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
};
