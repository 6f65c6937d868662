/* circleci.c: CircleCI (API v2). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"

static struct provider_setting api = {
    .env = "SLIPWAY_CIRCLECI_API_URL", .def = "https://circleci.com/api/v2", .help = "CircleCI's API", .kind = SETTING_TEXT};

static const char *check_slug(json_t *j)
{
    static const char *const vcs[] = {"gh/", "bb/", "github/", "bitbucket/", "circleci/"};
    const char *v = json_string_value(j), *a = strchr(v, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    bool known = false;
    for (size_t i = 0; i < ARRAY_LEN(vcs) && !known; i++)
        known = strncmp(v, vcs[i], strlen(vcs[i])) == 0;
    if (!known || !b || b == a + 1 || !b[1] || strchr(b + 1, '/'))
        return "must be a CircleCI project slug: gh/org/repo or bb/org/repo";
    return NULL;
}

static const struct field fields[] = {
    FMT("circleciProjectSlug", true, 512, check_slug, "circleci project slug"),
    SECRET("circleciApiToken", true, 4096),
    TEXT("circleciWorkflowName", false, 255),
};

/* The project, with the token. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *slug = provider_text(c, "circleciProjectSlug");
    char path[PROVIDER_URL_MAX], msg[700];

    if (!res) {
        snprintf(path, sizeof path, "/project/%s", slug);
        provider_get_with_token(c, api.text, path, "Circle-Token", "", provider_text(c, "circleciApiToken"), NULL);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found on CircleCI, or the token cannot see it", slug);
    if (!provider_failed(c, res, "CircleCI rejected the API token", msg))
        provider_finish(c, VERDICT_VALID, "CircleCI accepts the token for %s", slug);
}

static const struct provider_ops ops = {.verify = verify};

struct provider circleci_provider = {
    .type = "CIRCLECI",
    .kind = "circleci",
    .display = "CircleCI",
    .category = CAT_PIPELINES,
    FIELDS(fields),
    .base_url = &api,
    .caps = CAP_VERIFY,
    .ops = &ops,
};
