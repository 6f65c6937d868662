/* gitlab_ci.c: GitLab CI/CD, through the pipeline's GITLAB connection. docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/scm/gitlab.h"

static const struct field fields[] = {
    TEXT("gitlabPipelineId", false, 255),
    TEXT("gitlabJobName", false, 255),
};

/* The project's pipelines (one is enough: CI/CD answers). */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    char full[512], enc[1536], path[PROVIDER_URL_MAX], msg[1200];

    gitlab_project(c->scm, full, sizeof full, enc, sizeof enc);
    if (!res) {
        snprintf(path, sizeof path, "/api/v4/projects/%s/pipelines?per_page=1", enc);
        gitlab_get(c, gitlab_base(provider_scm_text(c, "serverUrl")), provider_scm_text(c, "accessToken"), path);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found, or CI/CD is not enabled for it", full);
    if (!provider_failed(c, res, "GitLab rejected the connection's token", msg))
        provider_finish(c, VERDICT_VALID, "GitLab CI/CD answers for %s", full);
}

static const struct provider_ops ops = {
    .verify = verify, .webhook_check = gitlab_webhook_check, .webhook_parse = gitlab_webhook_parse};

struct provider gitlab_ci_provider = {
    .type = "GITLAB_CI",
    .kind = "gitlab-ci",
    .display = "GitLab CI",
    .category = CAT_PIPELINES,
    FIELDS(fields),
    .scm_type = "GITLAB",
    .base_url = &gitlab_url,
    .caps = CAP_VERIFY | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
};
