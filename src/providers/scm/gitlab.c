/* gitlab.c: GitLab (API v4; self-hosted through serverUrl). docs/verification.md says what verify asks and concludes. */
#include "providers/scm/gitlab.h"

#include "providers/scm/scm.h"

struct provider_setting gitlab_url = {
    .env = "SLIPWAY_GITLAB_URL", .def = "https://gitlab.com", .help = "GitLab", .kind = SETTING_TEXT};

const char *gitlab_base(const char *server)
{
    return server && *server ? server : gitlab_url.text;
}

void gitlab_get(struct provider_call *c, const char *base, const char *token, const char *path)
{
    provider_get_with_token(c, base, path, "PRIVATE-TOKEN", "", token, NULL);
}

const char *gitlab_project(const json_t *config, char *full, size_t nfull, char *out, size_t n)
{
    const char *org = json_string_value(json_object_get(config, "organization"));
    const char *repo = json_string_value(json_object_get(config, "repoName"));
    snprintf(full, nfull, "%s/%s", org ? org : "", repo ? repo : "");
    return provider_escape(full, out, n);
}

static int access_level(json_t *perms, const char *kind)
{
    return (int)json_integer_value(json_object_get(json_object_get(perms, kind), "access_level"));
}

enum { USER, PROJECT };

/* The token's user, then the project: the user's access level on it must be Developer (30) or more. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *base = gitlab_base(provider_text(c, "serverUrl")), *token = provider_text(c, "accessToken");
    char full[512], enc[1536], path[PROVIDER_URL_MAX];
    json_t *j, *perms;
    int level;

    gitlab_project(c->config, full, sizeof full, enc, sizeof enc);
    if (!res) {
        if (c->state.step == USER)
            snprintf(path, sizeof path, "/api/v4/user");
        else
            snprintf(path, sizeof path, "/api/v4/projects/%s", enc);
        gitlab_get(c, base, token, path);
        return;
    }
    if (c->state.step == USER) {
        if (scm_user(c, res, "username"))
            provider_next(c, PROJECT);
        return;
    }
    snprintf(path, sizeof path, "project %s not found, or the token cannot see it", full);
    if (provider_failed(c, res, "GitLab rejected the token for this project", path) || !(j = provider_answer_json(c, res)))
        return;
    perms = json_object_get(j, "permissions");
    level = access_level(perms, "project_access") > access_level(perms, "group_access") ? access_level(perms, "project_access")
                                                                                        : access_level(perms, "group_access");
    json_object_set_new(c->output, "accessLevel", json_integer(level));
    json_decref(j);
    if (level < 30)
        provider_finish(c, VERDICT_INVALID, "the token's user has access level %d on %s; releases need Developer (30) or more",
                        level, full);
    else
        provider_finish(c, VERDICT_VALID, "GitLab accepts the token, with Developer access or more to %s", full);
}

static void prepare(json_t *config, struct err *err)
{
    UNUSED(err);
    scm_derive_repository_url(config, "https://gitlab.com");
}

/* ---- kickoff: the repository API (docs/releases.md) ---- */

/* method /api/v4/projects/{id}/<what>[/<name>] with the token; name fully escaped, as GitLab wants it. */
static void project_send(struct provider_call *c, const char *method, const char *what, const char *name, const char *body)
{
    static const char *const extra[] = {"Accept: application/json", NULL};
    char full[512], enc[1536], esc[1536], path[PROVIDER_URL_MAX];

    gitlab_project(c->config, full, sizeof full, enc, sizeof enc);
    snprintf(path, sizeof path, "/api/v4/projects/%s/%s%s%s", enc, what, name ? "/" : "",
             name ? provider_escape(name, esc, sizeof esc) : "");
    provider_send_with_token(c, method, gitlab_base(provider_text(c, "serverUrl")), path, "PRIVATE-TOKEN", "",
                             provider_text(c, "accessToken"), extra, body);
}

/* The same under .../repository/: commits, branches, tags, compare. */
static void repository_send(struct provider_call *c, const char *method, const char *what, const char *name, const char *body)
{
    char full[1500];
    snprintf(full, sizeof full, "repository/%s", what);
    project_send(c, method, full, name, body);
}

static void read_commit(struct provider_call *c, const char *ref)
{
    repository_send(c, "GET", "commits", ref, NULL);
}

static void read_branch(struct provider_call *c, const char *name)
{
    repository_send(c, "GET", "branches", name, NULL);
}

static void read_tag(struct provider_call *c, const char *name)
{
    repository_send(c, "GET", "tags", name, NULL);
}

static void create_branch_at(struct provider_call *c, const char *name, const char *sha)
{
    char body[1400];
    repository_send(c, "POST", "branches", NULL, scm_body(body, sizeof body, "{s:s, s:s}", "branch", name, "ref", sha));
}

static void create_tag_at(struct provider_call *c, const char *name, const char *sha)
{
    char body[1400];
    repository_send(c, "POST", "tags", NULL, scm_body(body, sizeof body, "{s:s, s:s}", "tag_name", name, "ref", sha));
}

static const char *commit_id(const json_t *answer)
{
    return json_string_value(json_object_get(answer, "id"));
}

/* A branch's or a tag's commit (a tag's "target" is its tag object when annotated: the commit is what counts). */
static const char *ref_commit(const json_t *answer)
{
    return commit_id(json_object_get(answer, "commit"));
}

static const struct scm_ref_api commit_api = {"commit", read_commit, NULL, commit_id};
static const struct scm_ref_api branch_api = {"branch", read_branch, create_branch_at, ref_commit};
static const struct scm_ref_api tag_api = {"tag", read_tag, create_tag_at, ref_commit};

SCM_REF_OPS(commit_api, branch_api, tag_api)

/* GET .../repository/compare?from={base}&to={head}: the commits after base up to head, oldest first (one answer). */
static void send_compare(struct provider_call *c, const char *base, const char *head, const char *cursor)
{
    char what[1400], b[512], h[512];
    UNUSED(cursor);
    snprintf(what, sizeof what, "compare?from=%s&to=%s", provider_escape(base, b, sizeof b), provider_escape(head, h, sizeof h));
    repository_send(c, "GET", what, NULL, NULL);
}

static const char *commit_message(const json_t *commit)
{
    return json_string_value(json_object_get(commit, "message"));
}

static const struct scm_compare_api compare_api = {
    .send = send_compare, .commits_of = scm_compare_commits, .sha_of = commit_id, .message_of = commit_message};

SCM_COMPARE_OP(compare_api)

/* GET /projects/{id}/releases/{tag}; POST /projects/{id}/releases {tag_name, name, description}: 409 when the tag has one. */
static void read_release(struct provider_call *c, const char *tag)
{
    project_send(c, "GET", "releases", tag, NULL);
}

static void create_release_of(struct provider_call *c, const char *tag, const char *name, const char *notes)
{
    char *body = scm_release_json(tag, name, "description", notes);
    project_send(c, "POST", "releases", NULL, body ? body : "");
    free(body);
}

static const char *release_url(const json_t *answer)
{
    return json_string_value(json_object_get(json_object_get(answer, "_links"), "self"));
}

static const struct scm_release_api release_api = {read_release, create_release_of, release_url};

static void create_release(struct provider_call *c, const struct outbound_response *res)
{
    scm_release_step(c, res, &release_api);
}
/* ---- the repository listing (docs/deployments.md "Repositories") ---- */

static const char *list_base(const struct provider_call *c)
{
    return gitlab_base(provider_text(c, "serverUrl"));
}

static void list_get(struct provider_call *c, const char *url)
{
    gitlab_get(c, url, provider_text(c, "accessToken"), "");
}

static const struct scm_list_api list_api = {list_base,
                                             list_get,
                                             NULL,
                                             "/api/v4/projects?membership=true&per_page=100&order_by=id&sort=asc",
                                             NULL,
                                             "id",
                                             "path_with_namespace",
                                             "default_branch",
                                             "visibility",
                                             "web_url"};

SCM_LIST_OP(list_api)

/* GitLab's OAuth token endpoint, on the instance (Doorkeeper: the client id and secret in the form). */
static void refresh_token(struct provider_call *c, const struct outbound_response *res)
{
    char url[PROVIDER_URL_MAX];
    scm_refresh_step(c, res, provider_url(url, gitlab_base(provider_text(c, "serverUrl")), "/oauth/token"), false);
}

static const struct provider_ops ops = {.verify = verify,
                                        .scm_resolve_ref = resolve_ref,
                                        .scm_create_branch = create_branch,
                                        .scm_create_tag = create_tag,
                                        .scm_compare = compare,
                                        .scm_create_release = create_release,
                                        .scm_list_repos = list_repos,
                                        .scm_refresh_token = refresh_token,
                                        .webhook_check = gitlab_webhook_check,
                                        .webhook_parse = gitlab_webhook_parse};

struct provider gitlab_provider = {
    .type = "GITLAB",
    .kind = "gitlab",
    .display = "GitLab",
    .category = CAT_SCM,
    .prepare = prepare,
    .derived = scm_derived,
    .base_url = &gitlab_url,
    .caps = CAP_VERIFY | CAP_SCM_RESOLVE_REF | CAP_SCM_CREATE_BRANCH | CAP_SCM_CREATE_TAG | CAP_SCM_COMPARE |
            CAP_SCM_CREATE_RELEASE | CAP_SCM_LIST_REPOS | CAP_SCM_REFRESH_TOKEN | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
    .webhook_delivery_headers = gitlab_delivery_headers,
};
