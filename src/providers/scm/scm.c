#include "providers/scm/scm.h"

#include "core/xmalloc.h"
#include "providers/fields.h"

const struct field scm_common_fields[] = {
    TEXT("organization", true, 255),
    TEXT("repoName", true, 255),
    URL("repositoryUrl", false),
    STR("defaultBranch", false, 1, 255, .check = check_printable, .def = "\"main\""),
    URL("serverUrl", false),
    SECRET("accessToken", true, 4096),
    SECRET("refreshToken", false, 4096),
    FMT("expiresAt", false, 64, check_time, "date-time"),
};
const size_t scm_common_count = ARRAY_LEN(scm_common_fields);

const char *const scm_derived[] = {"repositoryUrl", NULL};

void scm_derive_repository_url(json_t *c, const char *host)
{
    const char *server = json_string_value(json_object_get(c, "serverUrl"));

    if (server)
        host = server;
    if (!host || json_is_string(json_object_get(c, "repositoryUrl")))
        return;
    size_t n = strlen(host);
    while (n > 0 && host[n - 1] == '/')
        n--;
    const char *org = json_string_value(json_object_get(c, "organization"));
    const char *repo = json_string_value(json_object_get(c, "repoName"));
    size_t len = n + strlen(org ? org : "") + strlen(repo ? repo : "") + 3;
    char *url = xmalloc(len);
    snprintf(url, len, "%.*s/%s/%s", (int)n, host, org ? org : "", repo ? repo : "");
    json_object_set_new(c, "repositoryUrl", json_string(url));
    free(url);
}

const char *scm_repo_path(char *out, const char *prefix, const char *org, const char *repo)
{
    char a[512], b[512];
    snprintf(out, PROVIDER_URL_MAX, "%s/%s/%s", prefix, provider_escape(org, a, sizeof a), provider_escape(repo, b, sizeof b));
    return out;
}

bool scm_user(struct provider_call *c, const struct outbound_response *res, const char *field)
{
    char rejected[200], missing[200];
    json_t *j;

    snprintf(rejected, sizeof rejected, "%s rejected the token: it is revoked, expired or mistyped", c->prov->display);
    snprintf(missing, sizeof missing, "%s answered 404 for the token's user: is the server URL right?", c->prov->display);
    if (provider_failed(c, res, rejected, missing) || !(j = provider_answer_json(c, res)))
        return false;
    json_object_set(c->output, field, json_object_get(j, field));
    json_decref(j);
    return true;
}

void scm_repository(struct provider_call *c, const struct outbound_response *res, const char *org, const char *repo,
                    const char *hint)
{
    char missing[1200], rejected[200];
    json_t *j, *perms;

    snprintf(missing, sizeof missing, "repository %s/%s not found, or the token cannot see it", org, repo);
    snprintf(rejected, sizeof rejected, "%s rejected the token for this repository", c->prov->display);
    if (provider_failed(c, res, rejected, missing) || !(j = provider_answer_json(c, res)))
        return;
    perms = json_object_get(j, "permissions");
    json_object_set(c->output, "permissions", perms);
    if (!json_is_true(json_object_get(perms, "pull")))
        provider_finish(c, VERDICT_INVALID, "the token cannot read %s/%s (no pull permission)", org, repo);
    else if (!json_is_true(json_object_get(perms, "push")))
        provider_finish(c, VERDICT_INVALID, "the token lacks push access to %s/%s (releases push branches and tags%s)", org, repo,
                        hint);
    else
        provider_finish(c, VERDICT_VALID, "%s accepts the token, which can push to %s/%s", c->prov->display, org, repo);
    json_decref(j);
}
