/*
 * verifiers.c: how each provider judges a credential (docs/verification.md).
 *
 * Each function is a state machine over v->step: step 0 sends the first
 * request, each later step reads the answer to the previous one. Messages
 * say what to fix; they never contain a secret. Header strings that carry
 * credentials are built on the stack and wiped once submitted (the
 * outbound loop keeps its own copy, which it wipes too).
 */
#define _GNU_SOURCE /* timegm, strptime */
#include "verify/verifiers.h"

#include <pthread.h>
#include <stdarg.h>
#include <time.h>

#include "core/clock.h"
#include "core/encode.h"
#include "core/ratelimit.h"
#include "crypto/hash.h"
#include "crypto/jwt.h"
#include "crypto/pem.h"
#include "integrations/catalog.h"
#include "integrations/integrations.h"
#include "outbound/url.h"

#define URL_MAX 2048
#define AUTH_MAX 4200

/* ---- helpers ---- */

/* base (without a trailing slash) followed by the formatted path. */
static char *url(char *out, const char *base, const char *fmt, ...) PRINTF_LIKE(3, 4);
static char *url(char *out, const char *base, const char *fmt, ...)
{
    size_t n = strlen(base);
    va_list ap;
    while (n > 0 && base[n - 1] == '/')
        n--;
    snprintf(out, URL_MAX, "%.*s", (int)n, base);
    va_start(ap, fmt);
    vsnprintf(out + strlen(out), URL_MAX - strlen(out), fmt, ap);
    va_end(ap);
    return out;
}

static const char *esc(const char *s, char *buf, size_t n)
{
    return url_escape(s, buf, n) ? buf : "";
}

static json_t *answer_json(const struct outbound_response *res)
{
    return json_loadb(res->body, res->len, 0, NULL);
}

/* A successful status whose body is not JSON: the provider misbehaves, which proves nothing about the credential. */
static bool unreadable(struct verification *v, json_t *j)
{
    if (j)
        return false;
    verify_finish(v, VERDICT_NONE, "%s answered something that is not JSON; the status is unchanged, try again later",
                  v->prov->display);
    return true;
}

/* Ends the check unless the answer is a 2xx: no answer, 401/403 (unauthorized), 404 (missing), anything else. */
static bool failed(struct verification *v, const struct outbound_response *res, const char *unauthorized, const char *missing)
{
    if (verify_unanswered(v, res))
        return true;
    if (res->status >= 200 && res->status < 300)
        return false;
    verify_note_answer(v, res);
    if (res->status == 401)
        verify_finish(v, VERDICT_INVALID, "%s", unauthorized);
    else if (res->status == 403)
        verify_finish(v, VERDICT_INVALID, "%s (the provider answered 403: not allowed)", unauthorized);
    else if (res->status == 404)
        verify_finish(v, VERDICT_INVALID, "%s", missing);
    else
        verify_finish(v, VERDICT_INVALID, "%s answered %ld to slipway's check", v->prov->display, res->status);
    return true;
}

/* "Name: <prefix><value>" into out (AUTH_MAX bytes). */
static void header(char *out, const char *name, const char *prefix, const char *value)
{
    snprintf(out, AUTH_MAX, "%s: %s%s", name, prefix, value);
}

static void wipe(char *s)
{
    hash_cleanse(s, strlen(s));
}

static const char *scm_text(const struct verification *v, const char *field)
{
    const char *s = json_string_value(json_object_get(v->scm, field));
    return s ? s : "";
}

/* The SCMs' first answer: the token's user. Records its name (field) in the details; false when the check ended here. */
static bool scm_user(struct verification *v, const struct outbound_response *res, const char *field)
{
    char rejected[200], missing[200];
    json_t *j;

    snprintf(rejected, sizeof rejected, "%s rejected the token: it is revoked, expired or mistyped", v->prov->display);
    snprintf(missing, sizeof missing, "%s answered 404 for the token's user: is the server URL right?", v->prov->display);
    if (failed(v, res, rejected, missing))
        return false;
    j = answer_json(res);
    if (unreadable(v, j))
        return false;
    json_object_set(v->details, field, json_object_get(j, field));
    json_decref(j);
    return true;
}

/* GET base+path with "name: prefix<token>" and up to two more fixed headers (extra, NULL-terminated, may be NULL). */
static void token_get(struct verification *v, const char *base, const char *path, const char *name, const char *prefix,
                      const char *token, const char *const *extra)
{
    char auth[AUTH_MAX], target[URL_MAX];
    const char *headers[4] = {auth, NULL, NULL, NULL};

    for (int i = 0; extra && extra[i] && i < 2; i++)
        headers[i + 1] = extra[i];
    header(auth, name, prefix, token);
    verify_request(v, "GET", url(target, base, "%s", path), headers, NULL, NULL);
    wipe(auth);
}

/* "/<prefix>/<org>/<repo>" with both names escaped, into out (URL_MAX). */
static const char *repo_path(char *out, const char *prefix, const char *org, const char *repo)
{
    char a[512], b[512];
    snprintf(out, URL_MAX, "%s/%s/%s", prefix, esc(org, a, sizeof a), esc(repo, b, sizeof b));
    return out;
}

/* The answer about the repository (GitHub, Gitea): it must exist and its permissions include pull and push. */
static void scm_repository(struct verification *v, const struct outbound_response *res, const char *org, const char *repo,
                           const char *hint)
{
    char missing[1200], rejected[200];
    json_t *j, *perms;

    snprintf(missing, sizeof missing, "repository %s/%s not found, or the token cannot see it", org, repo);
    snprintf(rejected, sizeof rejected, "%s rejected the token for this repository", v->prov->display);
    if (failed(v, res, rejected, missing))
        return;
    j = answer_json(res);
    if (unreadable(v, j))
        return;
    perms = json_object_get(j, "permissions");
    json_object_set(v->details, "permissions", perms);
    if (!json_is_true(json_object_get(perms, "pull")))
        verify_finish(v, VERDICT_INVALID, "the token cannot read %s/%s (no pull permission)", org, repo);
    else if (!json_is_true(json_object_get(perms, "push")))
        verify_finish(v, VERDICT_INVALID, "the token lacks push access to %s/%s (releases push branches and tags%s)", org, repo,
                      hint);
    else
        verify_finish(v, VERDICT_VALID, "%s accepts the token, which can push to %s/%s", v->prov->display, org, repo);
    json_decref(j);
}

/* ---- GitHub (and GitHub Actions through the pipeline's connection) ---- */

/* What GitHub said about its rate limit, shared by every GitHub check of this process. */
static pthread_mutex_t github_lock = PTHREAD_MUTEX_INITIALIZER;
static long github_remaining = -1;
static time_t github_reset;
static struct ratelimit *github_budget;
static pthread_once_t github_once = PTHREAD_ONCE_INIT;

static void github_budget_init(void)
{
    github_budget = ratelimit_new(3600, 16);
}

/* Refuses to call GitHub while it said the limit is used up, or past GITHUB_API_RATE_LIMIT calls this hour. */
static bool github_may_call(struct verification *v)
{
    int wait = 0;
    bool blocked;

    pthread_once(&github_once, github_budget_init);
    pthread_mutex_lock(&github_lock);
    blocked = github_remaining == 0 && time(NULL) < github_reset;
    pthread_mutex_unlock(&github_lock);
    if (blocked) {
        verify_finish(v, VERDICT_NONE, "GitHub's rate limit is used up until %ld (Unix time); the status is unchanged",
                      (long)github_reset);
        return false;
    }
    if (!ratelimit_hit(github_budget, "github", v->env->github_hourly, &wait)) {
        verify_finish(v, VERDICT_NONE, "slipway's GitHub budget (GITHUB_API_RATE_LIMIT) is used up for %d more seconds", wait);
        return false;
    }
    return true;
}

/* Records the rate-limit headers; true (and the check ends without a verdict) when this answer was the limit. */
static bool github_limited(struct verification *v, const struct outbound_response *res)
{
    char remaining[32], reset[32];
    bool limited;

    if (res->failure != OUTBOUND_OK || !outbound_header(res, "x-ratelimit-remaining", remaining, sizeof remaining))
        return false;
    pthread_mutex_lock(&github_lock);
    github_remaining = strtol(remaining, NULL, 10);
    if (outbound_header(res, "x-ratelimit-reset", reset, sizeof reset))
        github_reset = (time_t)strtoll(reset, NULL, 10);
    limited = github_remaining == 0 && (res->status == 403 || res->status == 429);
    pthread_mutex_unlock(&github_lock);
    if (limited)
        verify_finish(v, VERDICT_NONE, "GitHub's rate limit is used up; the status is unchanged, try again after it resets");
    return limited;
}

static void github_get(struct verification *v, const char *base, const char *token, const char *path)
{
    static const char *const extra[] = {"Accept: application/vnd.github+json", "X-GitHub-Api-Version: 2022-11-28", NULL};
    if (github_may_call(v))
        token_get(v, base, path, "Authorization", "Bearer ", token, extra);
}

static const char *github_base(const char *server, const struct verification *v)
{
    return server && *server ? server : v->env->github_api;
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

void verify_github(struct verification *v, const struct outbound_response *res)
{
    const char *base = github_base(verify_text(v, "serverUrl"), v), *org = verify_text(v, "organization"),
               *repo = verify_text(v, "repoName");
    char path[URL_MAX], value[128];

    if (res && github_limited(v, res))
        return;
    switch (v->step++) {
    case 0:
        github_get(v, base, verify_text(v, "accessToken"), "/user");
        return;
    case 1:
        if (!scm_user(v, res, "login"))
            return;
        if (outbound_header(res, "x-oauth-scopes", value, sizeof value))
            json_object_set_new(v->details, "scopes", json_string(value));
        if (outbound_header(res, "github-authentication-token-expiration", value, sizeof value)) {
            int64_t at = github_time(value);
            json_object_set_new(v->details, "tokenExpiresAt", json_string(value));
            if (at >= 0 && at <= clock_now_ms()) {
                verify_finish(v, VERDICT_EXPIRED, "the GitHub token expired on %s: create a new one", value);
                return;
            }
        }
        github_get(v, base, verify_text(v, "accessToken"), repo_path(path, "/repos", org, repo));
        return;
    default:
        scm_repository(v, res, org, repo, ": grant the repo scope");
        return;
    }
}

void verify_github_actions(struct verification *v, const struct outbound_response *res)
{
    const char *path = verify_text(v, "githubWorkflowPath"), *file = strrchr(path, '/');
    const char *org = scm_text(v, "organization"), *repo = scm_text(v, "repoName");
    char p[URL_MAX], a[512], b[512], c[512];

    file = file ? file + 1 : path;
    if (res && github_limited(v, res))
        return;
    if (v->step++ == 0) {
        snprintf(p, sizeof p, "/repos/%s/%s/actions/workflows/%s", esc(org, a, sizeof a), esc(repo, b, sizeof b),
                 esc(file, c, sizeof c));
        github_get(v, github_base(scm_text(v, "serverUrl"), v), scm_text(v, "accessToken"), p);
        return;
    }
    snprintf(p, sizeof p, "workflow %s not found in %s/%s (is the file on the default branch?)", path, org, repo);
    if (failed(v, res, "GitHub rejected the connection's token", p))
        return;
    verify_finish(v, VERDICT_VALID, "the workflow %s exists in %s/%s", path, org, repo);
}

/* ---- GitLab, Bitbucket, Gitea ---- */

static const char *gitlab_base(const char *server, const struct verification *v)
{
    return server && *server ? server : v->env->gitlab;
}

static void gitlab_get(struct verification *v, const char *base, const char *token, const char *path)
{
    token_get(v, base, path, "PRIVATE-TOKEN", "", token, NULL);
}

static int access_level(json_t *perms, const char *kind)
{
    return (int)json_integer_value(json_object_get(json_object_get(perms, kind), "access_level"));
}

void verify_gitlab(struct verification *v, const struct outbound_response *res)
{
    const char *base = gitlab_base(verify_text(v, "serverUrl"), v), *org = verify_text(v, "organization"),
               *repo = verify_text(v, "repoName");
    char full[512], enc[1536], path[URL_MAX];
    json_t *j;

    snprintf(full, sizeof full, "%s/%s", org, repo);
    switch (v->step++) {
    case 0:
        gitlab_get(v, base, verify_text(v, "accessToken"), "/api/v4/user");
        return;
    case 1:
        if (!scm_user(v, res, "username"))
            return;
        snprintf(path, sizeof path, "/api/v4/projects/%s", esc(full, enc, sizeof enc));
        gitlab_get(v, base, verify_text(v, "accessToken"), path);
        return;
    default:
        snprintf(path, sizeof path, "project %s not found, or the token cannot see it", full);
        if (failed(v, res, "GitLab rejected the token for this project", path))
            return;
        j = answer_json(res);
        if (unreadable(v, j))
            return;
        json_t *perms = json_object_get(j, "permissions");
        int level = access_level(perms, "project_access") > access_level(perms, "group_access")
                        ? access_level(perms, "project_access")
                        : access_level(perms, "group_access");
        json_object_set_new(v->details, "accessLevel", json_integer(level));
        json_decref(j);
        if (level < 30)
            verify_finish(v, VERDICT_INVALID, "the token's user has access level %d on %s; releases need Developer (30) or more",
                          level, full);
        else
            verify_finish(v, VERDICT_VALID, "GitLab accepts the token, with Developer access or more to %s", full);
        return;
    }
}

void verify_bitbucket(struct verification *v, const struct outbound_response *res)
{
    const char *base = verify_text(v, "serverUrl")[0] ? verify_text(v, "serverUrl") : v->env->bitbucket_api;
    const char *ws = verify_text(v, "organization"), *repo = verify_text(v, "repoName"), *token = verify_text(v, "accessToken");
    char path[URL_MAX], msg[1200];

    switch (v->step++) {
    case 0:
        token_get(v, base, "/2.0/user", "Authorization", "Bearer ", token, NULL);
        return;
    case 1:
        if (scm_user(v, res, "username"))
            token_get(v, base, repo_path(path, "/2.0/repositories", ws, repo), "Authorization", "Bearer ", token, NULL);
        return;
    default:
        snprintf(msg, sizeof msg, "repository %s/%s not found, or the token cannot see it", ws, repo);
        if (!failed(v, res, "Bitbucket rejected the token for this repository", msg))
            verify_finish(v, VERDICT_VALID, "Bitbucket accepts the token for %s/%s", ws, repo);
        return;
    }
}

void verify_gitea(struct verification *v, const struct outbound_response *res)
{
    static const char *const extra[] = {"Accept: application/json", NULL};
    const char *base = verify_text(v, "serverUrl"), *org = verify_text(v, "organization"), *repo = verify_text(v, "repoName"),
               *token = verify_text(v, "accessToken");
    char path[URL_MAX];

    switch (v->step++) {
    case 0:
        token_get(v, base, "/api/v1/user", "Authorization", "token ", token, extra);
        return;
    case 1:
        if (scm_user(v, res, "login"))
            token_get(v, base, repo_path(path, "/api/v1/repos", org, repo), "Authorization", "token ", token, extra);
        return;
    default:
        scm_repository(v, res, org, repo, "");
        return;
    }
}

void verify_gitlab_ci(struct verification *v, const struct outbound_response *res)
{
    char full[512], enc[1536], path[URL_MAX], msg[1200];

    snprintf(full, sizeof full, "%s/%s", scm_text(v, "organization"), scm_text(v, "repoName"));
    if (v->step++ == 0) {
        snprintf(path, sizeof path, "/api/v4/projects/%s/pipelines?per_page=1", esc(full, enc, sizeof enc));
        gitlab_get(v, gitlab_base(scm_text(v, "serverUrl"), v), scm_text(v, "accessToken"), path);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found, or CI/CD is not enabled for it", full);
    if (!failed(v, res, "GitLab rejected the connection's token", msg))
        verify_finish(v, VERDICT_VALID, "GitLab CI/CD answers for %s", full);
}

/* ---- App Store Connect ---- */

void verify_app_store(struct verification *v, const struct outbound_response *res)
{
    const char *bundle = verify_text(v, "appleBundleId");
    char auth[AUTH_MAX], target[URL_MAX], enc[512];
    const char *headers[] = {auth, NULL};
    json_t *claims, *j, *data;
    char *jwt = NULL;
    struct err err;

    if (v->step++ == 0) {
        int64_t now = clock_now_ms() / 1000;
        err_clear(&err);
        claims = json_pack("{s:s, s:I, s:I, s:s}", "iss", verify_text(v, "appleIssuerId"), "iat", (json_int_t)now, "exp",
                           (json_int_t)(now + 1200), "aud", "appstoreconnect-v1");
        jwt_sign(JWT_ES256, verify_text(v, "applePrivateKey"), verify_text(v, "appleApiKeyId"), claims, &jwt, &err);
        json_decref(claims);
        if (!jwt) {
            verify_finish(v, VERDICT_INVALID,
                          "the private key cannot sign an App Store Connect token (it must be the .p8 P-256 key)");
            return;
        }
        header(auth, "Authorization", "Bearer ", jwt);
        wipe(jwt);
        free(jwt);
        url(target, v->env->appstore_api, "/v1/apps?filter%%5BbundleId%%5D=%s&limit=1", esc(bundle, enc, sizeof enc));
        verify_request(v, "GET", target, headers, NULL, NULL);
        wipe(auth);
        return;
    }
    if (failed(v, res, "App Store Connect rejected the API key: check the key id, the issuer id and the private key",
               "App Store Connect answered 404 for the apps list"))
        return;
    j = answer_json(res);
    if (unreadable(v, j))
        return;
    data = json_array_get(json_object_get(j, "data"), 0);
    if (!data) {
        verify_finish(v, VERDICT_INVALID, "bundle id %s not found in this App Store Connect team", bundle);
    } else {
        json_object_set(v->details, "appId", json_object_get(data, "id"));
        json_object_set(v->details, "appName", json_object_get(json_object_get(data, "attributes"), "name"));
        verify_finish(v, VERDICT_VALID, "App Store Connect accepts the key, and the team has the app %s", bundle);
    }
    json_decref(j);
}

/* ---- Google (Play and Firebase): the jwt-bearer grant, then the API ---- */

/* Step 0 of both: sign the assertion and ask the token endpoint. */
static void google_token(struct verification *v, const char *scope)
{
    int64_t now = clock_now_ms() / 1000;
    json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", verify_text(v, "googleServiceAccountEmail"), "scope", scope,
                               "aud", v->env->google_token, "iat", (json_int_t)now, "exp", (json_int_t)(now + 3600));
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    char *jwt = NULL, *body;
    struct err err;
    size_t n;

    err_clear(&err);
    jwt_sign(JWT_RS256, verify_text(v, "googlePrivateKey"), NULL, claims, &jwt, &err);
    json_decref(claims);
    if (!jwt) {
        verify_finish(v, VERDICT_INVALID, "the private key cannot sign a Google token (it must be the service account's RSA key)");
        return;
    }
    n = strlen(jwt) + 100;
    body = malloc(n);
    if (!body) {
        free(jwt);
        verify_finish(v, VERDICT_NONE, "out of memory");
        return;
    }
    snprintf(body, n, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s", jwt);
    verify_request(v, "POST", v->env->google_token, headers, body, NULL);
    wipe(jwt);
    wipe(body);
    free(jwt);
    free(body);
}

/* Step 1 of both: keep the access token; false when the check ended. */
static bool google_granted(struct verification *v, const struct outbound_response *res)
{
    json_t *j;
    const char *error, *desc, *token;

    if (verify_unanswered(v, res))
        return false;
    j = answer_json(res);
    if (res->status != 200) {
        error = json_string_value(json_object_get(j, "error"));
        desc = json_string_value(json_object_get(j, "error_description"));
        if (desc && strstr(desc, "xpired"))
            verify_finish(v, VERDICT_EXPIRED, "Google says the service account key has expired: create a new key");
        else
            verify_finish(v, VERDICT_INVALID,
                          "Google refused the service account (%s): check the e-mail address and the private key",
                          error ? error : "no reason given");
        json_decref(j);
        return false;
    }
    if (unreadable(v, j))
        return false;
    token = json_string_value(json_object_get(j, "access_token"));
    if (!token || strlen(token) >= sizeof v->token) {
        json_decref(j);
        verify_finish(v, VERDICT_NONE, "Google's token endpoint answered without an access token");
        return false;
    }
    snprintf(v->token, sizeof v->token, "%s", token);
    integration_wipe(j);
    json_decref(j);
    return true;
}

static void google_call(struct verification *v, const char *method, const char *target, const char *body)
{
    char auth[AUTH_MAX];
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    header(auth, "Authorization", "Bearer ", v->token);
    verify_request(v, method, target, headers, body, NULL);
    wipe(auth);
}

void verify_play_store(struct verification *v, const struct outbound_response *res)
{
    const char *pkg = verify_text(v, "googlePackageName");
    char target[URL_MAX], enc[512], msg[600];
    json_t *j;

    switch (v->step++) {
    case 0:
        google_token(v, "https://www.googleapis.com/auth/androidpublisher");
        return;
    case 1:
        if (!google_granted(v, res))
            return;
        google_call(v, "POST",
                    url(target, v->env->play_api, "/androidpublisher/v3/applications/%s/edits", esc(pkg, enc, sizeof enc)), "{}");
        return;
    case 2:
        snprintf(msg, sizeof msg, "package %s not found, or the service account has no access to it in Play Console", pkg);
        if (failed(v, res, "Google Play refused the service account: grant it access in Play Console", msg))
            return;
        j = answer_json(res);
        if (unreadable(v, j))
            return;
        snprintf(v->note, sizeof v->note, "%s",
                 json_string_value(json_object_get(j, "id")) ? json_string_value(json_object_get(j, "id")) : "");
        json_decref(j);
        /* The edit only proved access: throw it away. */
        char edit[300];
        url(target, v->env->play_api, "/androidpublisher/v3/applications/%s/edits/%s", esc(pkg, enc, sizeof enc),
            esc(v->note, edit, sizeof edit));
        google_call(v, "DELETE", target, NULL);
        return;
    default:
        verify_finish(v, VERDICT_VALID, "Google Play accepts the service account for %s", pkg);
        return;
    }
}

void verify_firebase(struct verification *v, const struct outbound_response *res)
{
    const char *project = verify_text(v, "firebaseProjectId"), *app = verify_text(v, "firebaseAppId");
    const char *kind = strstr(app, ":ios:") ? "iosApps" : strstr(app, ":web:") ? "webApps" : "androidApps";
    char target[URL_MAX], a[256], b[512], msg[600];

    switch (v->step++) {
    case 0:
        google_token(v, "https://www.googleapis.com/auth/firebase");
        return;
    case 1:
        if (!google_granted(v, res))
            return;
        google_call(
            v, "GET",
            url(target, v->env->firebase_api, "/v1beta1/projects/%s/%s/%s", esc(project, a, sizeof a), kind, esc(app, b, sizeof b)),
            NULL);
        return;
    default:
        snprintf(msg, sizeof msg, "app %s not found in Firebase project %s, or the service account cannot see it", app, project);
        if (!failed(v, res, "Firebase refused the service account: give it a Firebase role in the project", msg))
            verify_finish(v, VERDICT_VALID, "Firebase accepts the service account, and project %s has the app", project);
        return;
    }
}

/* ---- Jenkins ---- */

void verify_jenkins(struct verification *v, const struct outbound_response *res)
{
    const char *base = verify_text(v, "jenkinsUrl"), *job = verify_text(v, "jenkinsJobPath");
    char userpwd[AUTH_MAX], target[URL_MAX], path[URL_MAX] = "", msg[700];
    const char *headers[] = {v->note[0] ? v->note : NULL, NULL};
    json_t *j;

    switch (v->step) {
    case 0:
        url(target, base, "/crumbIssuer/api/json");
        break;
    case 1:
        if (verify_unanswered(v, res))
            return;
        if (res->status == 401 || res->status == 403) {
            verify_finish(v, VERDICT_INVALID, "Jenkins rejected the user name or API token");
            return;
        }
        if (res->status == 200 && (j = answer_json(res))) { /* crumbs enabled: send ours from now on */
            const char *field = json_string_value(json_object_get(j, "crumbRequestField"));
            const char *crumb = json_string_value(json_object_get(j, "crumb"));
            if (field && crumb)
                snprintf(v->note, sizeof v->note, "%s: %s", field, crumb);
            json_decref(j);
        }
        json_object_set_new(v->details, "crumbs", json_boolean(v->note[0]));
        headers[0] = v->note[0] ? v->note : NULL;
        url(target, base, "/api/json");
        break;
    case 2:
        if (failed(v, res, "Jenkins rejected the user name or API token",
                   "Jenkins answered 404 for /api/json: is the URL the Jenkins root?"))
            return;
        /* folder/job-name becomes /job/folder/job/job-name */
        for (const char *p = job; *p;) {
            char seg[512], enc[1536];
            size_t n = strcspn(p, "/");
            snprintf(seg, sizeof seg, "%.*s", (int)n, p);
            snprintf(path + strlen(path), sizeof path - strlen(path), "/job/%s", esc(seg, enc, sizeof enc));
            p += n + (p[n] == '/');
        }
        url(target, base, "%s/api/json", path);
        break;
    default:
        snprintf(msg, sizeof msg, "job %s not found on Jenkins, or the user cannot see it", job);
        if (!failed(v, res, "Jenkins rejected the user name or API token", msg))
            verify_finish(v, VERDICT_VALID, "Jenkins accepts the credentials, and the job %s exists", job);
        return;
    }
    v->step++;
    snprintf(userpwd, sizeof userpwd, "%s:%s", verify_text(v, "jenkinsUsername"), verify_text(v, "jenkinsApiToken"));
    verify_request(v, "GET", target, headers, NULL, userpwd);
    wipe(userpwd);
}

/* ---- CircleCI ---- */

void verify_circleci(struct verification *v, const struct outbound_response *res)
{
    const char *slug = verify_text(v, "circleciProjectSlug");
    char auth[AUTH_MAX], target[URL_MAX], msg[700];
    const char *headers[] = {auth, NULL};

    if (v->step++ == 0) {
        header(auth, "Circle-Token", "", verify_text(v, "circleciApiToken"));
        verify_request(v, "GET", url(target, v->env->circleci_api, "/project/%s", slug), headers, NULL, NULL);
        wipe(auth);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found on CircleCI, or the token cannot see it", slug);
    if (!failed(v, res, "CircleCI rejected the API token", msg))
        verify_finish(v, VERDICT_VALID, "CircleCI accepts the token for %s", slug);
}

/* ---- Slack ---- */

enum { SLACK_AUTH = 1, SLACK_CHANNEL, SLACK_WEBHOOK };

static bool slack_channel_id(const char *c)
{
    size_t n = strlen(c);
    if (n < 9 || !strchr("CGD", c[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= '0' && c[i] <= '9')))
            return false;
    return true;
}

static void slack_get(struct verification *v, const char *path)
{
    char auth[AUTH_MAX], target[URL_MAX];
    const char *headers[] = {auth, NULL};
    header(auth, "Authorization", "Bearer ", verify_text(v, "slackBotToken"));
    verify_request(v, "GET", url(target, v->env->slack_api, "%s", path), headers, NULL, NULL);
    wipe(auth);
}

/* Asks about the next configured channel, or ends VALID when none is left. */
static void slack_next_channel(struct verification *v)
{
    json_t *channels = json_object_get(v->config, "slackChannels");
    const char *c = json_string_value(json_array_get(channels, (size_t)v->index));
    char path[URL_MAX], enc[512], cur[1536];

    if (!c) {
        verify_finish(v, VERDICT_VALID, "Slack accepts the bot token, and the bot is in every configured channel");
        return;
    }
    if (c[0] == '#')
        c++;
    if (slack_channel_id(c))
        snprintf(path, sizeof path, "/conversations.info?channel=%s", esc(c, enc, sizeof enc));
    else
        snprintf(path, sizeof path, "/conversations.list?limit=200&types=public_channel,private_channel%s%s",
                 v->note[0] ? "&cursor=" : "", v->note[0] ? esc(v->note, cur, sizeof cur) : "");
    slack_get(v, path);
}

/* Reads one channel answer: true when this channel is settled (the check may go on). */
static bool slack_channel_found(struct verification *v, json_t *ch, const char *name)
{
    if (!json_is_true(json_object_get(ch, "is_member"))) {
        verify_finish(v, VERDICT_INVALID, "the bot is not in #%s: /invite it to the channel so it can post", name);
        return false;
    }
    v->index++;
    v->note[0] = '\0';
    return true;
}

static void slack_channel_answer(struct verification *v, const struct outbound_response *res)
{
    json_t *channels = json_object_get(v->config, "slackChannels");
    const char *c = json_string_value(json_array_get(channels, (size_t)v->index));
    json_t *j, *ch = NULL, *list;
    size_t i;
    const char *cursor;

    if (c[0] == '#')
        c++;
    if (failed(v, res, "Slack rejected the bot token", "Slack answered 404"))
        return;
    j = answer_json(res);
    if (unreadable(v, j))
        return;
    if (!json_is_true(json_object_get(j, "ok"))) {
        const char *error = json_string_value(json_object_get(j, "error"));
        if (error && strcmp(error, "channel_not_found") == 0)
            verify_finish(v, VERDICT_INVALID, "channel %s not found (or it is private and the bot is not in it)", c);
        else
            verify_finish(v, VERDICT_INVALID, "Slack refused to describe channel %s (%s): the bot needs channels:read", c,
                          error ? error : "no reason");
        json_decref(j);
        return;
    }
    if (slack_channel_id(c)) {
        ch = json_object_get(j, "channel");
    } else {
        list = json_object_get(j, "channels");
        json_array_foreach(list, i, ch) if (json_is_string(json_object_get(ch, "name")) &&
                                            strcmp(json_string_value(json_object_get(ch, "name")), c) == 0) break;
        if (i == json_array_size(list))
            ch = NULL;
        if (!ch) {
            cursor = json_string_value(json_object_get(json_object_get(j, "response_metadata"), "next_cursor"));
            if (cursor && *cursor && strlen(cursor) < sizeof v->note) {
                snprintf(v->note, sizeof v->note, "%s", cursor);
                json_decref(j);
                slack_next_channel(v); /* the next page */
                return;
            }
            verify_finish(v, VERDICT_INVALID, "channel #%s not found in this workspace (or the bot cannot see it)", c);
            json_decref(j);
            return;
        }
    }
    if (slack_channel_found(v, ch, c))
        slack_next_channel(v);
    json_decref(j);
}

void verify_slack(struct verification *v, const struct outbound_response *res)
{
    const char *token = verify_text(v, "slackBotToken"), *hook = verify_text(v, "slackWebhookUrl");
    const char *headers[] = {"Content-Type: application/json", NULL};
    char auth[AUTH_MAX], target[URL_MAX];
    json_t *j;

    switch (v->step) {
    case 0:
        if (!*token) {
            if (!outbound_url_is(hook, "https", v->env->slack_hooks, "/services/")) {
                verify_finish(v, VERDICT_INVALID, "the webhook URL must be https://hooks.slack.com/services/...");
                return;
            }
            if (!v->send_test) {
                verify_finish(v, VERDICT_VALID,
                              "the webhook URL has the right shape; nothing was posted (ask for sendTest to post one)");
                return;
            }
            v->step = SLACK_WEBHOOK;
            verify_request(v, "POST", hook, headers, "{\"text\":\"slipway: test message\"}", NULL);
            return;
        }
        v->step = SLACK_AUTH;
        {
            const char *auth_headers[] = {auth, NULL};
            header(auth, "Authorization", "Bearer ", token);
            verify_request(v, "POST", url(target, v->env->slack_api, "/auth.test"), auth_headers, NULL, NULL);
            wipe(auth);
        }
        return;
    case SLACK_AUTH:
        if (failed(v, res, "Slack rejected the bot token", "Slack answered 404 for auth.test"))
            return;
        j = answer_json(res);
        if (unreadable(v, j))
            return;
        if (!json_is_true(json_object_get(j, "ok"))) {
            const char *error = json_string_value(json_object_get(j, "error"));
            if (error && strcmp(error, "token_expired") == 0)
                verify_finish(v, VERDICT_EXPIRED, "the Slack bot token has expired: reinstall the app or rotate the token");
            else
                verify_finish(v, VERDICT_INVALID, "Slack rejected the bot token (%s)", error ? error : "no reason");
            json_decref(j);
            return;
        }
        json_object_set(v->details, "team", json_object_get(j, "team"));
        json_object_set(v->details, "botUser", json_object_get(j, "user"));
        json_decref(j);
        v->step = SLACK_CHANNEL;
        slack_next_channel(v);
        return;
    case SLACK_CHANNEL:
        slack_channel_answer(v, res);
        return;
    default: /* SLACK_WEBHOOK */
        if (!failed(v, res, "Slack rejected the webhook", "the webhook no longer exists (404): create a new one"))
            verify_finish(v, VERDICT_VALID, "Slack accepted a test message on the webhook");
        return;
    }
}

/* ---- Teams ---- */

void verify_teams(struct verification *v, const struct outbound_response *res)
{
    const char *hook = verify_text(v, "teamsWebhookUrl");
    const char *headers[] = {"Content-Type: application/json", NULL};

    if (v->step++ == 0) {
        if (!outbound_url_is(hook, "https", v->env->teams_hooks, "/"))
            verify_finish(v, VERDICT_INVALID,
                          "the webhook URL must be https on an Office 365 or Power Automate host (*.webhook.office.com, "
                          "*.logic.azure.com or *.environment.api.powerplatform.com)");
        else if (!v->send_test)
            verify_finish(v, VERDICT_VALID,
                          "the webhook URL has the right shape; nothing was posted (ask for sendTest to post a card)");
        else
            verify_request(v, "POST", hook, headers,
                           "{\"@type\":\"MessageCard\",\"@context\":\"https://schema.org/extensions\",\"summary\":\"slipway\","
                           "\"text\":\"slipway: test card\"}",
                           NULL);
        return;
    }
    if (!failed(v, res, "Teams rejected the webhook", "the webhook no longer exists (404): create a new one"))
        verify_finish(v, VERDICT_VALID, "Teams accepted a test card on the webhook");
}

/* ---- e-mail (SMTP) ---- */

void verify_email(struct verification *v, const struct outbound_response *res)
{
    char target[URL_MAX], userpwd[AUTH_MAX] = "";
    json_int_t port = json_integer_value(json_object_get(v->config, "smtpPort"));

    if (v->step++ == 0) {
        snprintf(target, sizeof target, "smtp://%s:%lld", verify_text(v, "smtpHost"), (long long)(port ? port : 587));
        if (*verify_text(v, "smtpUsername"))
            snprintf(userpwd, sizeof userpwd, "%s:%s", verify_text(v, "smtpUsername"), verify_text(v, "smtpPassword"));
        verify_smtp(v, target, userpwd[0] ? userpwd : NULL);
        wipe(userpwd);
        return;
    }
    if (res->failure == OUTBOUND_OK) {
        verify_finish(v, VERDICT_VALID,
                      v->send_test ? "the mail server accepted the login and a test message"
                                   : "the mail server accepted STARTTLS and the login; no message was sent");
        return;
    }
    if (res->failure == OUTBOUND_LOGIN)
        verify_finish(v, VERDICT_INVALID, "the mail server refused the user name or password");
    else if (res->failure == OUTBOUND_NO_STARTTLS)
        verify_finish(v, VERDICT_INVALID,
                      "the mail server does not offer STARTTLS: slipway only sends mail over an encrypted connection");
    else
        verify_unanswered(v, res);
}

/* ---- Jira, Linear, Azure DevOps, TestRail ---- */

void verify_jira(struct verification *v, const struct outbound_response *res)
{
    const char *base = verify_text(v, "jiraUrl"), *key = verify_text(v, "jiraProjectKey");
    char userpwd[AUTH_MAX], target[URL_MAX], enc[64], msg[300];
    const char *headers[] = {"Accept: application/json", NULL};

    if (v->step == 1 &&
        failed(v, res, "Jira rejected the e-mail address or API token", "Jira answered 404: is the URL the site root?"))
        return;
    if (v->step == 2) {
        snprintf(msg, sizeof msg, "project %s not found, or the user cannot browse it", key);
        if (!failed(v, res, "Jira rejected the e-mail address or API token", msg))
            verify_finish(v, VERDICT_VALID, "Jira accepts the API token, and project %s exists", key);
        return;
    }
    if (v->step++ == 0)
        url(target, base, "/rest/api/3/myself");
    else
        url(target, base, "/rest/api/3/project/%s", esc(key, enc, sizeof enc));
    snprintf(userpwd, sizeof userpwd, "%s:%s", verify_text(v, "jiraEmail"), verify_text(v, "jiraApiToken"));
    verify_request(v, "GET", target, headers, NULL, userpwd);
    wipe(userpwd);
}

void verify_linear(struct verification *v, const struct outbound_response *res)
{
    char auth[AUTH_MAX], body[1024];
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    json_t *q, *j, *data;
    char *text;

    if (v->step++ == 0) {
        q = json_pack("{s:s, s:{s:s}}", "query", "query($team: String!) { viewer { id name } team(id: $team) { id name } }",
                      "variables", "team", verify_text(v, "linearTeamId"));
        text = json_dumps(q, JSON_COMPACT);
        json_decref(q);
        snprintf(body, sizeof body, "%s", text ? text : "{}");
        free(text);
        header(auth, "Authorization", "", verify_text(v, "linearApiKey"));
        verify_request(v, "POST", v->env->linear_api, headers, body, NULL);
        wipe(auth);
        return;
    }
    if (verify_unanswered(v, res))
        return;
    j = answer_json(res);
    if (unreadable(v, j))
        return;
    data = json_object_get(j, "data");
    /* GraphQL reports in "errors": an authentication error, or a team it cannot find (data is then null). */
    const char *code =
        json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "extensions"), "code"));
    const char *message = json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message"));
    if ((code && strcmp(code, "AUTHENTICATION_ERROR") == 0) || res->status == 401 || res->status == 403)
        verify_finish(v, VERDICT_INVALID, "Linear rejected the API key");
    else if (!json_is_object(json_object_get(data, "team")) &&
             (json_is_object(json_object_get(data, "viewer")) || (message && strstr(message, "not found"))))
        verify_finish(v, VERDICT_INVALID, "team %s not found in Linear, or the key cannot see it", verify_text(v, "linearTeamId"));
    else if (!json_is_object(json_object_get(data, "viewer")))
        verify_finish(v, VERDICT_INVALID, "Linear did not accept the API key (%s)", message ? message : "no reason given");
    else
        verify_finish(v, VERDICT_VALID, "Linear accepts the API key, and the team exists");
    json_decref(j);
}

void verify_azure_devops(struct verification *v, const struct outbound_response *res)
{
    const char *org = verify_text(v, "azureOrganization"), *project = verify_text(v, "azureProject");
    const char *base = verify_text(v, "azureUrl")[0] ? verify_text(v, "azureUrl") : "https://dev.azure.com";
    char userpwd[AUTH_MAX], target[URL_MAX], a[512], b[512], msg[700];
    const char *headers[] = {"Accept: application/json", NULL};

    if (v->step++ == 0) {
        url(target, base, "/%s/_apis/projects/%s?api-version=7.0", esc(org, a, sizeof a), esc(project, b, sizeof b));
        snprintf(userpwd, sizeof userpwd, ":%s", verify_text(v, "azurePatToken"));
        verify_request(v, "GET", target, headers, NULL, userpwd);
        wipe(userpwd);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found in organization %s, or the token cannot see it", project, org);
    if (failed(v, res, "Azure DevOps rejected the personal access token", msg))
        return;
    if (res->status == 203) /* Azure answers a sign-in page, not JSON, to a bad token */
        verify_finish(v, VERDICT_INVALID, "Azure DevOps rejected the personal access token");
    else
        verify_finish(v, VERDICT_VALID, "Azure DevOps accepts the token, and project %s exists", project);
}

void verify_test_rail(struct verification *v, const struct outbound_response *res)
{
    char userpwd[AUTH_MAX], target[URL_MAX], msg[300];
    const char *headers[] = {"Content-Type: application/json", NULL};
    json_int_t id = json_integer_value(json_object_get(v->config, "testRailProjectId"));

    if (v->step++ == 0) {
        url(target, verify_text(v, "testRailUrl"), "/index.php?/api/v2/get_project/%lld", (long long)id);
        snprintf(userpwd, sizeof userpwd, "%s:%s", verify_text(v, "testRailUsername"), verify_text(v, "testRailApiKey"));
        verify_request(v, "GET", target, headers, NULL, userpwd);
        wipe(userpwd);
        return;
    }
    snprintf(msg, sizeof msg, "project %lld not found in TestRail, or the user cannot see it", (long long)id);
    if (res->failure == OUTBOUND_OK && res->status == 400) { /* TestRail says 400 for a project it does not know */
        verify_finish(v, VERDICT_INVALID, "%s", msg);
        return;
    }
    if (!failed(v, res, "TestRail rejected the user name or API key", msg))
        verify_finish(v, VERDICT_VALID, "TestRail accepts the API key, and project %lld exists", (long long)id);
}

/* ---- code signing: no network ---- */

void verify_code_signing(struct verification *v, const struct outbound_response *res)
{
    const char *format = verify_text(v, "certificateFormat");
    const char *password = json_string_value(json_object_get(v->config, "certificatePassword"));
    struct cert_info info;
    struct err err;
    char when[TIMESTAMP_SIZE];
    int64_t now = clock_now_ms();

    UNUSED(res);
    err_clear(&err);
    if (cert_inspect(strcmp(format, "PKCS12") == 0 ? CERT_PKCS12 : CERT_PEM, verify_text(v, "certificateData"), password, &info,
                     &err)) {
        verify_finish(v, VERDICT_INVALID, "%s", err.ndetails ? err.details[0].message : err.message);
        return;
    }
    clock_format(info.not_after_ms, when);
    json_object_set_new(v->details, "subject", json_string(info.subject));
    json_object_set_new(v->details, "expiresAt", json_string(when));
    if (info.not_after_ms <= now)
        verify_finish(v, VERDICT_EXPIRED, "the certificate expired on %s: renew it and upload the new one", when);
    else if (info.not_before_ms > now)
        verify_finish(v, VERDICT_INVALID, "the certificate is not valid yet");
    else
        verify_finish(v, VERDICT_VALID, "the certificate opens with its password and is valid until %s", when);
}
