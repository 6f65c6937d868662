/* jira.c: Jira Cloud (REST API v3, Basic auth with an API token). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"

static const char *check_key(json_t *j)
{
    const char *v = json_string_value(j);
    if (!(v[0] >= 'A' && v[0] <= 'Z') || strlen(v) < 2 || strlen(v) > 10 || !fields_all_chars(v, "_", false, true, true))
        return "must be a Jira project key, e.g. APP";
    return NULL;
}

static const struct field fields[] = {
    URL("jiraUrl", true),
    EMAIL("jiraEmail", true),
    SECRET("jiraApiToken", true, 4096),
    FMT("jiraProjectKey", true, 10, check_key, "jira project key"),
    TEXT("jiraDefaultIssueType", false, 255),
};

enum { MYSELF, PROJECT };

/* The token's user, then the project. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *key = provider_text(c, "jiraProjectKey");
    char userpwd[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX], enc[64], msg[300];
    const char *headers[] = {"Accept: application/json", NULL};

    if (!res) {
        if (c->state.step == MYSELF)
            provider_url(target, provider_text(c, "jiraUrl"), "/rest/api/3/myself");
        else
            provider_url(target, provider_text(c, "jiraUrl"), "/rest/api/3/project/%s", provider_escape(key, enc, sizeof enc));
        snprintf(userpwd, sizeof userpwd, "%s:%s", provider_text(c, "jiraEmail"), provider_text(c, "jiraApiToken"));
        provider_request(c, "GET", target, headers, NULL, userpwd);
        provider_wipe(userpwd);
        return;
    }
    if (c->state.step == MYSELF) {
        if (!provider_failed(c, res, "Jira rejected the e-mail address or API token",
                             "Jira answered 404: is the URL the site root?"))
            provider_next(c, PROJECT);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found, or the user cannot browse it", key);
    if (!provider_failed(c, res, "Jira rejected the e-mail address or API token", msg))
        provider_finish(c, VERDICT_VALID, "Jira accepts the API token, and project %s exists", key);
}

static const struct provider_ops ops = {.verify = verify};

struct provider jira_provider = {
    .type = "JIRA",
    .kind = "jira",
    .display = "Jira",
    .category = CAT_TICKETS,
    FIELDS(fields),
    .caps = CAP_VERIFY,
    .ops = &ops,
};
