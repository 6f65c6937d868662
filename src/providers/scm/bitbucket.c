/* bitbucket.c: Bitbucket (Cloud API 2.0; Server through serverUrl). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/scm/scm.h"

static struct provider_setting api = {
    .env = "SLIPWAY_BITBUCKET_API_URL", .def = "https://api.bitbucket.org", .help = "Bitbucket Cloud's API", .kind = SETTING_TEXT};

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

static const struct provider_ops ops = {.verify = verify,
                                        .scm_resolve_ref = resolve_ref,
                                        .scm_create_branch = create_branch,
                                        .scm_create_tag = create_tag,
                                        .scm_list_repos = list_repos};

struct provider bitbucket_provider = {
    .type = "BITBUCKET",
    .kind = "bitbucket",
    .display = "Bitbucket",
    .category = CAT_SCM,
    .prepare = prepare,
    .derived = scm_derived,
    .base_url = &api,
    .caps = CAP_SCM_LIST_REPOS | CAP_VERIFY | CAP_SCM_RESOLVE_REF | CAP_SCM_CREATE_BRANCH | CAP_SCM_CREATE_TAG,
    .ops = &ops,
};
