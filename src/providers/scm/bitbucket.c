/* bitbucket.c: Bitbucket (Cloud API 2.0; Server through serverUrl). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/scm/scm.h"

static struct provider_setting api = {
    .env = "SLIPWAY_BITBUCKET_API_URL", .def = "https://api.bitbucket.org", .help = "Bitbucket Cloud's API", .kind = SETTING_TEXT};

/* Bitbucket Cloud's OAuth token endpoint is on its web host, not the API's. */
static struct provider_setting token_url = {.env = "SLIPWAY_BITBUCKET_TOKEN_URL",
                                            .def = "https://bitbucket.org/site/oauth2/access_token",
                                            .help = "Bitbucket Cloud's OAuth token endpoint",
                                            .kind = SETTING_TEXT};
static struct provider_setting *const settings[] = {&token_url, NULL};

enum { USER, REPOSITORY };

/* The token's user, then the repository. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *base = provider_text(c, "serverUrl")[0] ? provider_text(c, "serverUrl") : api.text;
    const char *ws = provider_text(c, "organization"), *repo = provider_text(c, "repoName"),
               *token = provider_text(c, "accessToken");
    char path[PROVIDER_URL_MAX], msg[1200];

    if (!res) {
        provider_get_with_token(c, base, c->state.step == USER ? "/2.0/user" : scm_repo_path(path, "/2.0/repositories", ws, repo),
                                "Authorization", "Bearer ", token, NULL);
        return;
    }
    if (c->state.step == USER) {
        if (scm_user(c, res, "username"))
            provider_next(c, REPOSITORY);
        return;
    }
    snprintf(msg, sizeof msg, "repository %s/%s not found, or the token cannot see it", ws, repo);
    if (!provider_failed(c, res, "Bitbucket rejected the token for this repository", msg))
        provider_finish(c, VERDICT_VALID, "Bitbucket accepts the token for %s/%s", ws, repo);
}

static void prepare(json_t *config, struct err *err)
{
    UNUSED(err);
    scm_derive_repository_url(config, "https://bitbucket.org");
}

/* ---- kickoff: refs of the repository (docs/releases.md) ---- */

static const char *base_of(const struct provider_call *c)
{
    return provider_text(c, "serverUrl")[0] ? provider_text(c, "serverUrl") : api.text;
}

/* method /2.0/repositories/{workspace}/{repo}/<what>[/<name>] with the token. */
static void repository_send(struct provider_call *c, const char *method, const char *what, const char *name, const char *body)
{
    char path[PROVIDER_URL_MAX];

    scm_ref_path(path, c, "/2.0/repositories", what, name);
    provider_send_with_token(c, method, base_of(c), path, "Authorization", "Bearer ", provider_text(c, "accessToken"), NULL, body);
}

static void read_commit(struct provider_call *c, const char *ref)
{
    repository_send(c, "GET", "commit", ref, NULL);
}

static void read_branch(struct provider_call *c, const char *name)
{
    repository_send(c, "GET", "refs/branches", name, NULL);
}

static void read_tag(struct provider_call *c, const char *name)
{
    repository_send(c, "GET", "refs/tags", name, NULL);
}

/* POST .../refs/<kind> {"name", "target": {"hash"}}. */
static void create_ref(struct provider_call *c, const char *kind, const char *name, const char *sha)
{
    char body[1400];
    repository_send(c, "POST", kind, NULL, scm_body(body, sizeof body, "{s:s, s:{s:s}}", "name", name, "target", "hash", sha));
}

static void create_branch_at(struct provider_call *c, const char *name, const char *sha)
{
    create_ref(c, "refs/branches", name, sha);
}

static void create_tag_at(struct provider_call *c, const char *name, const char *sha)
{
    create_ref(c, "refs/tags", name, sha);
}

static const char *commit_hash(const json_t *answer)
{
    return json_string_value(json_object_get(answer, "hash"));
}

static const char *target_hash(const json_t *answer)
{
    return commit_hash(json_object_get(answer, "target"));
}

static const struct scm_ref_api commit_api = {"commit", read_commit, NULL, commit_hash};
static const struct scm_ref_api branch_api = {"branch", read_branch, create_branch_at, target_hash};
static const struct scm_ref_api tag_api = {"tag", read_tag, create_tag_at, target_hash};

SCM_REF_OPS(commit_api, branch_api, tag_api)

/*
 * GET .../commits?include={head}&exclude={base}: the commits reachable from
 * head and not from base, newest first, paged ("next": the same list's
 * next page, whose query is followed on the same path: never another host).
 */
static void send_compare(struct provider_call *c, const char *base, const char *head, const char *cursor)
{
    char what[1400], b[512], h[512];

    if (cursor)
        snprintf(what, sizeof what, "commits?%s", cursor);
    else
        snprintf(what, sizeof what, "commits?include=%s&exclude=%s", provider_escape(head, h, sizeof h),
                 provider_escape(base, b, sizeof b));
    repository_send(c, "GET", what, NULL, NULL);
}

static const json_t *page_values(const json_t *answer)
{
    return json_object_get(answer, "values");
}

static const char *commit_message(const json_t *commit)
{
    return json_string_value(json_object_get(commit, "message"));
}

/* The query of the "next" link, when it has only characters a URL's query may carry unescaped. */
static const char *next_query(const json_t *answer)
{
    const char *next = json_string_value(json_object_get(answer, "next")), *q = next ? strchr(next, '?') : NULL;

    if (!q || !q[1] || strlen(q + 1) > 1000 ||
        strspn(q + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%&=+") != strlen(q + 1))
        return NULL;
    return q + 1;
}

static const struct scm_compare_api compare_api = {.send = send_compare,
                                                   .commits_of = page_values,
                                                   .sha_of = commit_hash,
                                                   .message_of = commit_message,
                                                   .next_of = next_query,
                                                   .newest_first = true};

SCM_COMPARE_OP(compare_api)
/* ---- the repository listing (docs/deployments.md "Repositories") ---- */

static void list_get(struct provider_call *c, const char *url)
{
    provider_get_with_token(c, url, "", "Authorization", "Bearer ", provider_text(c, "accessToken"), NULL);
}

static const struct scm_list_api list_api = {
    base_of,      list_get,         NULL,        "/2.0/repositories?role=member&pagelen=100",
    "values",     "uuid",           "full_name", "mainbranch.name",
    "is_private", "links.html.href"};

SCM_LIST_OP(list_api)

/* Bitbucket Cloud's OAuth 2.0: the client authenticates with HTTP Basic. */
static void refresh_token(struct provider_call *c, const struct outbound_response *res)
{
    if (!res && provider_text(c, "serverUrl")[0]) /* Server and Data Center tokens are not OAuth refresh tokens */
        provider_finish(c, VERDICT_INVALID, "Bitbucket Server tokens are not refreshed: give the integration a new access token");
    else
        scm_refresh_step(c, res, token_url.text, true);
}

static const struct provider_ops ops = {.verify = verify,
                                        .scm_resolve_ref = resolve_ref,
                                        .scm_create_branch = create_branch,
                                        .scm_create_tag = create_tag,
                                        .scm_compare = compare,
                                        .scm_list_repos = list_repos,
                                        .scm_refresh_token = refresh_token};

struct provider bitbucket_provider = {
    .type = "BITBUCKET",
    .kind = "bitbucket",
    .display = "Bitbucket",
    .category = CAT_SCM,
    .prepare = prepare,
    .derived = scm_derived,
    .base_url = &api,
    .settings = settings,
    .caps = CAP_VERIFY | CAP_SCM_RESOLVE_REF | CAP_SCM_CREATE_BRANCH | CAP_SCM_CREATE_TAG | CAP_SCM_COMPARE | CAP_SCM_LIST_REPOS |
            CAP_SCM_REFRESH_TOKEN,
    .ops = &ops,
};
