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

void github_get(struct provider_call *c, const char *base, const char *token, const char *path)
{
    static const char *const extra[] = {"Accept: application/vnd.github+json", "X-GitHub-Api-Version: 2022-11-28", NULL};
    if (may_call(c))
        provider_get_with_token(c, base, path, "Authorization", "Bearer ", token, extra);
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

static const struct provider_ops ops = {
    .verify = verify, .webhook_check = github_webhook_check, .webhook_parse = github_webhook_parse};
static struct provider_setting *const settings[] = {&github_budget, NULL};

struct provider github_provider = {
    .type = "GITHUB",
    .kind = "github",
    .display = "GitHub",
    .category = CAT_SCM,
    .prepare = prepare,
    .derived = scm_derived,
    .base_url = &github_api,
    .settings = settings,
    .caps = CAP_VERIFY | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
};
