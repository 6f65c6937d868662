/*
 * github.c: GitHub (REST v3; GitHub Enterprise through serverUrl).
 * docs/verification.md says what verify asks and concludes.
 */
#define _GNU_SOURCE /* timegm, strptime */
#include "providers/scm/github.h"

#include <pthread.h>
#include <time.h>

#include "core/clock.h"
#include "core/ratelimit.h"
#include "providers/scm/scm.h"

struct provider_setting github_api = {
    .env = "SLIPWAY_GITHUB_API_URL", .def = "https://api.github.com", .help = "GitHub's API", .kind = SETTING_TEXT};
/* The OAuth token endpoint is on the web host (github.com), not the API's. */
static struct provider_setting oauth_url = {.env = "SLIPWAY_GITHUB_OAUTH_URL",
                                            .def = "https://github.com/login/oauth/access_token",
                                            .help = "GitHub's OAuth token endpoint (GitHub Enterprise: derived from serverUrl)",
                                            .kind = SETTING_TEXT};
struct provider_setting github_budget = {
    .env = "GITHUB_API_RATE_LIMIT", .def = "5000", .help = "GitHub calls an hour slipway allows itself", .kind = SETTING_PER_HOUR};

/* What GitHub said about its rate limit, shared by every GitHub call of this process. */
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;
static long limit_remaining = -1;
static time_t limit_reset;
static struct ratelimit *budget;
static pthread_once_t budget_once = PTHREAD_ONCE_INIT;

static void budget_init(void)
{
    budget = ratelimit_new(3600, 16);
}

/* Refuses to call GitHub while it said the limit is used up, or past GITHUB_API_RATE_LIMIT calls this hour. */
static bool may_call(struct provider_call *c)
{
    int wait = 0;
    bool blocked;

    pthread_once(&budget_once, budget_init);
    pthread_mutex_lock(&limit_lock);
    blocked = limit_remaining == 0 && time(NULL) < limit_reset;
    pthread_mutex_unlock(&limit_lock);
    if (blocked) {
        provider_finish(c, VERDICT_NONE, "GitHub's rate limit is used up until %ld (Unix time); the status is unchanged",
                        (long)limit_reset);
        return false;
    }
    if (!ratelimit_hit(budget, "github", github_budget.number, &wait)) {
        provider_finish(c, VERDICT_NONE, "slipway's GitHub budget (GITHUB_API_RATE_LIMIT) is used up for %d more seconds", wait);
        return false;
    }
    return true;
}

bool github_limited(struct provider_call *c, const struct outbound_response *res)
{
    char remaining[32], reset[32];
    bool limited;

    if (res->failure != OUTBOUND_OK || !outbound_header(res, "x-ratelimit-remaining", remaining, sizeof remaining))
        return false;
    pthread_mutex_lock(&limit_lock);
    limit_remaining = strtol(remaining, NULL, 10);
    if (outbound_header(res, "x-ratelimit-reset", reset, sizeof reset))
        limit_reset = (time_t)strtoll(reset, NULL, 10);
    limited = limit_remaining == 0 && (res->status == 403 || res->status == 429);
    pthread_mutex_unlock(&limit_lock);
    if (limited)
        provider_finish(c, VERDICT_NONE, "GitHub's rate limit is used up; the status is unchanged, try again after it resets");
    return limited;
}

void github_send(struct provider_call *c, const char *base, const char *token, const char *method, const char *path,
                 const char *body)
{
    static const char *const extra[] = {"Accept: application/vnd.github+json", "X-GitHub-Api-Version: 2022-11-28", NULL};
    if (may_call(c))
        provider_send_with_token(c, method, base, path, "Authorization", "Bearer ", token, extra, body);
}

void github_get(struct provider_call *c, const char *base, const char *token, const char *path)
{
    github_send(c, base, token, "GET", path, NULL);
}

const char *github_base(const char *server)
{
    return server && *server ? server : github_api.text;
}

/* "2026-12-01 10:00:00 UTC" (GitHub's token expiry header) to ms; -1 when unreadable. */
static int64_t github_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!strptime(s, "%Y-%m-%d %H:%M:%S", &tm))
        return -1;
    return (int64_t)timegm(&tm) * 1000;
}

enum { USER, REPOSITORY };

/* The token's user (with its scopes and expiry), then the repository's permissions. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *base = github_base(provider_text(c, "serverUrl")), *token = provider_text(c, "accessToken");
    const char *org = provider_text(c, "organization"), *repo = provider_text(c, "repoName");
    char path[PROVIDER_URL_MAX], value[128];

    if (!res) {
        github_get(c, base, token, c->state.step == USER ? "/user" : scm_repo_path(path, "/repos", org, repo));
        return;
    }
    if (github_limited(c, res))
        return;
    if (c->state.step == REPOSITORY) {
        scm_repository(c, res, org, repo, ": grant the repo scope");
        return;
    }
    if (!scm_user(c, res, "login"))
        return;
    if (outbound_header(res, "x-oauth-scopes", value, sizeof value))
        json_object_set_new(c->output, "scopes", json_string(value));
    if (outbound_header(res, "github-authentication-token-expiration", value, sizeof value)) {
        int64_t at = github_time(value);
        json_object_set_new(c->output, "tokenExpiresAt", json_string(value));
        if (at >= 0 && at <= clock_now_ms()) {
            provider_finish(c, VERDICT_EXPIRED, "the GitHub token expired on %s: create a new one", value);
            return;
        }
    }
    provider_next(c, REPOSITORY);
}

static void prepare(json_t *config, struct err *err)
{
    UNUSED(err);
    scm_derive_repository_url(config, "https://github.com");
}

/* ---- kickoff: refs through the Git database API (docs/releases.md) ---- */

/* method /repos/{org}/{repo}/<what>[/<name>] with the integration's token. */
static void repo_send(struct provider_call *c, const char *method, const char *what, const char *name, const char *body)
{
    char path[PROVIDER_URL_MAX];
    github_send(c, github_base(provider_text(c, "serverUrl")), provider_text(c, "accessToken"), method,
                scm_ref_path(path, c, "/repos", what, name), body);
}

static void read_commit(struct provider_call *c, const char *ref)
{
    repo_send(c, "GET", "commits", ref, NULL);
}

static void read_branch(struct provider_call *c, const char *name)
{
    repo_send(c, "GET", "git/ref/heads", name, NULL);
}

static void read_tag(struct provider_call *c, const char *name)
{
    repo_send(c, "GET", "git/ref/tags", name, NULL);
}

/* POST /repos/{org}/{repo}/git/refs {"ref": "refs/<kind>/<name>", "sha"}: a lightweight tag is a ref too. */
static void create_ref(struct provider_call *c, const char *kind, const char *name, const char *sha)
{
    char ref[1100], body[1400];
    snprintf(ref, sizeof ref, "refs/%s/%s", kind, name);
    repo_send(c, "POST", "git/refs", NULL, scm_body(body, sizeof body, "{s:s, s:s}", "ref", ref, "sha", sha));
}

static void create_branch_ref(struct provider_call *c, const char *name, const char *sha)
{
    create_ref(c, "heads", name, sha);
}

static void create_tag_ref(struct provider_call *c, const char *name, const char *sha)
{
    create_ref(c, "tags", name, sha);
}

static const char *commit_sha(const json_t *answer)
{
    return json_string_value(json_object_get(answer, "sha"));
}

static const char *ref_sha(const json_t *answer)
{
    return json_string_value(json_object_get(json_object_get(answer, "object"), "sha"));
}

static const struct scm_ref_api commit_api = {"commit", read_commit, NULL, commit_sha};
static const struct scm_ref_api branch_api = {"branch", read_branch, create_branch_ref, ref_sha};
static const struct scm_ref_api tag_api = {"tag", read_tag, create_tag_ref, ref_sha};

/* GET /repos/{o}/{r}/releases/tags/{tag}; POST /repos/{o}/{r}/releases {tag_name, name, body}. */
static void read_release(struct provider_call *c, const char *tag)
{
    repo_send(c, "GET", "releases/tags", tag, NULL);
}

static void create_release_of(struct provider_call *c, const char *tag, const char *name, const char *notes)
{
    char *body = scm_release_json(tag, name, "body", notes);
    repo_send(c, "POST", "releases", NULL, body ? body : "");
    free(body);
}

static const char *release_url(const json_t *answer)
{
    return json_string_value(json_object_get(answer, "html_url"));
}

static const struct scm_release_api release_api = {read_release, create_release_of, release_url};

static void create_release(struct provider_call *c, const struct outbound_response *res)
{
    if (!res || !github_limited(c, res))
        scm_release_step(c, res, &release_api);
}

/* GET /repos/{o}/{r}/compare/{base}...{head}: the commits after base up to head, oldest first (at most 250, one page). */
static void send_compare(struct provider_call *c, const char *base, const char *head, const char *cursor)
{
    char range[1200];
    UNUSED(cursor);
    repo_send(c, "GET", "compare", scm_compare_range(range, sizeof range, base, head), NULL);
}

static const struct scm_compare_api compare_api = {.send = send_compare,
                                                   .commits_of = scm_compare_commits,
                                                   .sha_of = commit_sha,
                                                   .message_of = scm_commit_message,
                                                   .total_of = scm_compare_total};

static void compare(struct provider_call *c, const struct outbound_response *res)
{
    if (!res || !github_limited(c, res))
        scm_compare_step(c, res, &compare_api);
}

static void resolve_ref(struct provider_call *c, const struct outbound_response *res)
{
    if (!res || !github_limited(c, res))
        scm_resolve_step(c, res, &commit_api);
}

static void create_branch(struct provider_call *c, const struct outbound_response *res)
{
    if (!res || !github_limited(c, res))
        scm_ref_step(c, res, &branch_api);
}

static void create_tag(struct provider_call *c, const struct outbound_response *res)
{
    if (!res || !github_limited(c, res))
        scm_ref_step(c, res, &tag_api);
}

/* ---- the repository listing (docs/deployments.md "Repositories") ---- */

static const char *list_base(const struct provider_call *c)
{
    return github_base(provider_text(c, "serverUrl"));
}

static void list_get(struct provider_call *c, const char *url)
{
    github_get(c, url, provider_text(c, "accessToken"), "");
}

static const struct scm_list_api list_api = {list_base, list_get,  github_limited, "/user/repos?per_page=100&sort=full_name",
                                             NULL,      "id",      "full_name",    "default_branch",
                                             "private", "html_url"};

SCM_LIST_OP(list_api)

/*
 * A GitHub App's expiring user token: its endpoint answers errors with 200
 * (scm_refresh_step reads them). GitHub Enterprise's is on the server's web
 * host: its API base, https://host/api/v3, without the /api/v3.
 */
static void refresh_token(struct provider_call *c, const struct outbound_response *res)
{
    const char *server = provider_text(c, "serverUrl");
    char url[PROVIDER_URL_MAX];
    size_t n = strlen(server);

    while (n > 0 && server[n - 1] == '/')
        n--;
    if (n >= 7 && strncmp(server + n - 7, "/api/v3", 7) == 0)
        n -= 7;
    if (server[0])
        snprintf(url, sizeof url, "%.*s/login/oauth/access_token", (int)n, server);
    scm_refresh_step(c, res, server[0] ? url : oauth_url.text, false);
}

static const struct provider_ops ops = {.verify = verify,
                                        .scm_resolve_ref = resolve_ref,
                                        .scm_create_branch = create_branch,
                                        .scm_create_tag = create_tag,
                                        .scm_compare = compare,
                                        .scm_create_release = create_release,
                                        .scm_list_repos = list_repos,
                                        .scm_refresh_token = refresh_token,
                                        .webhook_check = github_webhook_check,
                                        .webhook_parse = github_webhook_parse};
static struct provider_setting *const settings[] = {&github_budget, &oauth_url, NULL};

struct provider github_provider = {
    .type = "GITHUB",
    .kind = "github",
    .display = "GitHub",
    .category = CAT_SCM,
    .prepare = prepare,
    .derived = scm_derived,
    .base_url = &github_api,
    .settings = settings,
    .caps = CAP_SCM_LIST_REPOS | CAP_VERIFY | CAP_SCM_RESOLVE_REF | CAP_SCM_CREATE_BRANCH | CAP_SCM_CREATE_TAG | CAP_SCM_COMPARE |
            CAP_SCM_CREATE_RELEASE | CAP_SCM_REFRESH_TOKEN | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
    .webhook_delivery_headers = github_delivery_headers,
};
