/* gitea.c: Gitea (API v1), always self-hosted: serverUrl is required. docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/scm/scm.h"

static const struct field fields[] = {
    URL("serverUrl", true),
};

enum { USER, REPOSITORY };

/* The token's user, then the repository's permissions. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    static const char *const extra[] = {"Accept: application/json", NULL};
    const char *base = provider_text(c, "serverUrl"), *org = provider_text(c, "organization"), *repo = provider_text(c, "repoName"),
               *token = provider_text(c, "accessToken");
    char path[PROVIDER_URL_MAX];

    if (!res) {
        provider_get_with_token(c, base, c->state.step == USER ? "/api/v1/user" : scm_repo_path(path, "/api/v1/repos", org, repo),
                                "Authorization", "token ", token, extra);
        return;
    }
    if (c->state.step == REPOSITORY)
        scm_repository(c, res, org, repo, "");
    else if (scm_user(c, res, "login"))
        provider_next(c, REPOSITORY);
}

static void prepare(json_t *config, struct err *err)
{
    UNUSED(err);
    scm_derive_repository_url(config, NULL); /* without serverUrl, the schema has already said so */
}

/* ---- kickoff: branches and tags of the repository (docs/releases.md) ---- */

/* method /api/v1/repos/{org}/{repo}/<what>[/<name>] with the token. */
static void repository_send(struct provider_call *c, const char *method, const char *what, const char *name, const char *body)
{
    static const char *const extra[] = {"Accept: application/json", NULL};
    char path[PROVIDER_URL_MAX];

    scm_ref_path(path, c, "/api/v1/repos", what, name);
    provider_send_with_token(c, method, provider_text(c, "serverUrl"), path, "Authorization", "token ",
                             provider_text(c, "accessToken"), extra, body);
}

/* The newest commit of the ref: GET .../commits?sha=<ref>&limit=1 (a branch, a tag or a commit). */
static void read_commit(struct provider_call *c, const char *ref)
{
    char what[1200], esc[1024];
    snprintf(what, sizeof what, "commits?sha=%s&limit=1&stat=false&verification=false&files=false",
             provider_escape(ref, esc, sizeof esc));
    repository_send(c, "GET", what, NULL, NULL);
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
    repository_send(c, "POST", "branches", NULL,
                    scm_body(body, sizeof body, "{s:s, s:s}", "new_branch_name", name, "old_ref_name", sha));
}

static void create_tag_at(struct provider_call *c, const char *name, const char *sha)
{
    char body[1400];
    repository_send(c, "POST", "tags", NULL, scm_body(body, sizeof body, "{s:s, s:s}", "tag_name", name, "target", sha));
}

static const char *first_sha(const json_t *answer)
{
    return json_string_value(json_object_get(json_array_get(answer, 0), "sha"));
}

static const char *branch_commit(const json_t *answer)
{
    return json_string_value(json_object_get(json_object_get(answer, "commit"), "id"));
}

static const char *tag_commit(const json_t *answer)
{
    return json_string_value(json_object_get(json_object_get(answer, "commit"), "sha"));
}

static const struct scm_ref_api commit_api = {"commit", read_commit, NULL, first_sha};
static const struct scm_ref_api branch_api = {"branch", read_branch, create_branch_at, branch_commit};
static const struct scm_ref_api tag_api = {"tag", read_tag, create_tag_at, tag_commit};

SCM_REF_OPS(commit_api, branch_api, tag_api)

/* GET .../releases/tags/{tag}; POST .../releases {tag_name, name, body}: 409 when the tag has one. */
static void read_release(struct provider_call *c, const char *tag)
{
    repository_send(c, "GET", "releases/tags", tag, NULL);
}

static void create_release_of(struct provider_call *c, const char *tag, const char *name, const char *notes)
{
    char *body = scm_release_json(tag, name, "body", notes);
    repository_send(c, "POST", "releases", NULL, body ? body : "");
    free(body);
}

static const char *release_url(const json_t *answer)
{
    return json_string_value(json_object_get(answer, "html_url"));
}

static const struct scm_release_api release_api = {read_release, create_release_of, release_url};

static void create_release(struct provider_call *c, const struct outbound_response *res)
{
    scm_release_step(c, res, &release_api);
}

/* GET .../compare/{base}...{head}: the commits after base up to head, oldest first, GitHub's shape (one page). */
static void send_compare(struct provider_call *c, const char *base, const char *head, const char *cursor)
{
    char range[1200];
    UNUSED(cursor);
    repository_send(c, "GET", "compare", scm_compare_range(range, sizeof range, base, head), NULL);
}

static const char *commit_sha(const json_t *commit)
{
    return json_string_value(json_object_get(commit, "sha"));
}

static const struct scm_compare_api compare_api = {.send = send_compare,
                                                   .commits_of = scm_compare_commits,
                                                   .sha_of = commit_sha,
                                                   .message_of = scm_commit_message,
                                                   .total_of = scm_compare_total};

SCM_COMPARE_OP(compare_api)
/* ---- the repository listing (docs/deployments.md "Repositories") ---- */

static const char *list_base(const struct provider_call *c)
{
    return provider_text(c, "serverUrl");
}

static void list_get(struct provider_call *c, const char *url)
{
    static const char *const extra[] = {"Accept: application/json", NULL};
    provider_get_with_token(c, url, "", "Authorization", "token ", provider_text(c, "accessToken"), extra);
}

static const struct scm_list_api list_api = {
    list_base, list_get, NULL, "/api/v1/user/repos?limit=50", NULL, "id", "full_name", "default_branch", "private", "html_url"};

SCM_LIST_OP(list_api)

/* Gitea's OAuth2 provider, on the instance: the client id and secret in the form. */
static void refresh_token(struct provider_call *c, const struct outbound_response *res)
{
    char url[PROVIDER_URL_MAX];
    scm_refresh_step(c, res, provider_url(url, provider_text(c, "serverUrl"), "/login/oauth/access_token"), false);
}

static const struct provider_ops ops = {.verify = verify,
                                        .scm_resolve_ref = resolve_ref,
                                        .scm_create_branch = create_branch,
                                        .scm_create_tag = create_tag,
                                        .scm_create_release = create_release,
                                        .scm_compare = compare,
                                        .scm_list_repos = list_repos,
                                        .scm_refresh_token = refresh_token};

struct provider gitea_provider = {
    .type = "GITEA",
    .kind = "gitea",
    .display = "Gitea",
    .category = CAT_SCM,
    FIELDS(fields),
    .prepare = prepare,
    .derived = scm_derived,
    .caps = CAP_VERIFY | CAP_SCM_RESOLVE_REF | CAP_SCM_CREATE_BRANCH | CAP_SCM_CREATE_TAG | CAP_SCM_CREATE_RELEASE |
            CAP_SCM_COMPARE | CAP_SCM_LIST_REPOS | CAP_SCM_REFRESH_TOKEN,
    .ops = &ops,
};
