/* azure_devops.c: Azure DevOps (REST 7.0, Basic auth with a personal access token). docs/verification.md says what verify asks and
 * concludes. */
#include "providers/call.h"
#include "providers/fields.h"

static const struct field fields[] = {
    TEXT("azureOrganization", true, 255),
    TEXT("azureProject", true, 255),
    SECRET("azurePatToken", true, 4096),
    STR("azureUrl", false, 1, 512, .check = check_url, .format = "url", .def = "\"https://dev.azure.com\""),
};

/* The project in the organization. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *org = provider_text(c, "azureOrganization"), *project = provider_text(c, "azureProject");
    const char *base = provider_text(c, "azureUrl")[0] ? provider_text(c, "azureUrl") : "https://dev.azure.com";
    char userpwd[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX], a[512], b[512], msg[700];
    const char *headers[] = {"Accept: application/json", NULL};

    if (!res) {
        provider_url(target, base, "/%s/_apis/projects/%s?api-version=7.0", provider_escape(org, a, sizeof a),
                     provider_escape(project, b, sizeof b));
        snprintf(userpwd, sizeof userpwd, ":%s", provider_text(c, "azurePatToken"));
        provider_request(c, "GET", target, headers, NULL, userpwd);
        provider_wipe(userpwd);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found in organization %s, or the token cannot see it", project, org);
    if (provider_failed(c, res, "Azure DevOps rejected the personal access token", msg))
        return;
    if (res->status == 203) /* Azure answers a sign-in page, not JSON, to a bad token */
        provider_finish(c, VERDICT_INVALID, "Azure DevOps rejected the personal access token");
    else
        provider_finish(c, VERDICT_VALID, "Azure DevOps accepts the token, and project %s exists", project);
}

static const struct provider_ops ops = {.verify = verify};

struct provider azure_devops_provider = {
    .type = "AZURE_DEVOPS",
    .kind = "azure-devops",
    .display = "Azure DevOps",
    .category = CAT_TICKETS,
    FIELDS(fields),
    .caps = CAP_VERIFY,
    .ops = &ops,
};
