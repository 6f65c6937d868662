#include "providers/scm/scm.h"

#include <stdarg.h>
#include <strings.h>

#include "core/xmalloc.h"
#include "crypto/secret.h"
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
    TEXT("clientId", false, 255),
    SECRET("clientSecret", false, 4096),
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

/* ---- the ref ops ---- */

const char *scm_escape_ref(const char *name, char *out, size_t n)
{
    char seg[768], esc[2304];
    size_t used = 0;

    out[0] = '\0';
    for (const char *p = name; *p;) {
        size_t len = strcspn(p, "/");
        if (len >= sizeof seg)
            return "";
        memcpy(seg, p, len);
        seg[len] = '\0';
        int w = snprintf(out + used, n - used, "%s%s", used ? "/" : "", provider_escape(seg, esc, sizeof esc));
        if (w < 0 || (size_t)w >= n - used)
            return "";
        used += (size_t)w;
        p += len + (p[len] == '/');
    }
    return out;
}

const char *scm_ref_path(char *out, const struct provider_call *c, const char *prefix, const char *what, const char *name)
{
    char repo[PROVIDER_URL_MAX], esc[1024];
    int n;

    scm_repo_path(repo, prefix, provider_text(c, "organization"), provider_text(c, "repoName"));
    n = snprintf(out, PROVIDER_URL_MAX, "%s/%s%s%s", repo, what, name ? "/" : "",
                 name ? scm_escape_ref(name, esc, sizeof esc) : "");
    if (n < 0 || n >= PROVIDER_URL_MAX)
        out[0] = '\0';
    return out;
}

const char *scm_body(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    json_t *j;
    char *text;

    va_start(ap, fmt);
    j = json_vpack_ex(NULL, 0, fmt, ap);
    va_end(ap);
    text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    snprintf(out, n, "%s", text && strlen(text) < n ? text : "");
    free(text);
    json_decref(j);
    return out;
}

static const char *input_text(const struct provider_call *c, const char *key)
{
    const char *s = json_string_value(json_object_get(c->input, key));
    return s ? s : "";
}

/* The commit read's answer names, or NULL after ending the call (not JSON, or no commit in it). */
static bool answer_sha(struct provider_call *c, const struct outbound_response *res, const struct scm_ref_api *api, char *out,
                       size_t n)
{
    json_t *j = provider_answer_json(c, res);
    const char *sha;

    if (!j)
        return false;
    sha = api->sha_of(j);
    snprintf(out, n, "%s", sha ? sha : "");
    json_decref(j);
    if (!out[0] || strlen(out) >= n - 1) {
        provider_finish(c, VERDICT_NONE, "%s answered about the %s without a commit; nothing was changed, try again later",
                        c->prov->display, api->what);
        return false;
    }
    return true;
}

void scm_resolve_step(struct provider_call *c, const struct outbound_response *res, const struct scm_ref_api *api)
{
    const char *ref = input_text(c, "ref"), *org = provider_text(c, "organization"), *repo = provider_text(c, "repoName");
    char sha[128], rejected[200], missing[800];

    if (!ref[0]) {
        provider_finish(c, VERDICT_INVALID, "no ref to resolve");
        return;
    }
    if (!res) {
        api->read(c, ref);
        return;
    }
    snprintf(missing, sizeof missing, "%s/%s has no branch, tag or commit %s (or the token cannot see the repository)", org, repo,
             ref);
    snprintf(rejected, sizeof rejected, "%s rejected the token for this repository", c->prov->display);
    if (provider_unanswered(c, res))
        return;
    if (res->status == 422 || res->status == 400) { /* GitHub: "No commit found for SHA" */
        provider_finish(c, VERDICT_INVALID, "%s", missing);
        return;
    }
    if (provider_failed(c, res, rejected, missing) || !answer_sha(c, res, api, sha, sizeof sha))
        return;
    json_object_set_new(c->output, "ref", json_string(ref));
    json_object_set_new(c->output, "sha", json_string(sha));
    provider_finish(c, VERDICT_VALID, "%s is at commit %s", ref, sha);
}

enum { REF_READ, REF_CREATE };

static void ref_done(struct provider_call *c, const char *name, const char *sha, bool created)
{
    json_object_set_new(c->output, "name", json_string(name));
    json_object_set_new(c->output, "sha", json_string(sha));
    json_object_set_new(c->output, "created", json_boolean(created));
}

void scm_ref_step(struct provider_call *c, const struct outbound_response *res, const struct scm_ref_api *api)
{
    const char *name = input_text(c, "name"), *sha = input_text(c, "sha");
    const char *org = provider_text(c, "organization"), *repo = provider_text(c, "repoName");
    char at[128], rejected[200], missing[800];

    if (!name[0] || !sha[0]) {
        provider_finish(c, VERDICT_INVALID, "a %s needs a name and a commit", api->what);
        return;
    }
    if (!res) {
        if (c->state.step == REF_READ)
            api->read(c, name);
        else
            api->create(c, name, sha);
        return;
    }
    snprintf(rejected, sizeof rejected, "%s rejected the token for this repository: it needs write access to make a %s",
             c->prov->display, api->what);
    snprintf(missing, sizeof missing, "repository %s/%s not found, or the token cannot see it", org, repo);
    if (provider_unanswered(c, res))
        return;
    if (c->state.step == REF_READ) {
        if (res->status == 404) { /* not there yet: make it */
            provider_next(c, REF_CREATE);
            return;
        }
        if (provider_failed(c, res, rejected, missing) || !answer_sha(c, res, api, at, sizeof at))
            return;
        ref_done(c, name, at, false);
        if (strcasecmp(at, sha) == 0)
            provider_finish(c, VERDICT_VALID, "the %s %s already exists at commit %s", api->what, name, at);
        else
            provider_finish(c, VERDICT_INVALID,
                            "the %s %s already exists at commit %s, not at %s: delete it in %s/%s, or release another version",
                            api->what, name, at, sha, org, repo);
        return;
    }
    if ((res->status == 400 || res->status == 409 || res->status == 422) && provider_data_int(c, "reread") == 0) {
        json_object_set_new(c->state.data, "reread", json_integer(1)); /* it exists now: where? */
        provider_next(c, REF_READ);
        return;
    }
    if (provider_failed(c, res, rejected, missing))
        return;
    ref_done(c, name, sha, true);
    provider_finish(c, VERDICT_VALID, "%s made the %s %s at commit %s", c->prov->display, api->what, name, sha);
}

/* ---- the provider's release of a tag (finish) ---- */

char *scm_release_json(const char *tag, const char *name, const char *notes_field, const char *notes)
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "tag_name", tag, "name", name, notes_field, notes);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;

    json_decref(j);
    return body;
}

static void release_done(struct provider_call *c, const struct outbound_response *res, const struct scm_release_api *api,
                         bool created)
{
    json_t *j = provider_answer_json(c, res);
    const char *url = j ? api->url_of(j) : NULL;

    if (!j)
        return;
    json_object_set_new(c->output, "tag", json_string(input_text(c, "tag")));
    json_object_set_new(c->output, "url", url ? json_string(url) : json_null());
    json_object_set_new(c->output, "created", json_boolean(created));
    json_decref(j);
    provider_finish(c, VERDICT_VALID, created ? "%s made the release of %s" : "%s has the release of %s already", c->prov->display,
                    input_text(c, "tag"));
}

void scm_release_step(struct provider_call *c, const struct outbound_response *res, const struct scm_release_api *api)
{
    const char *tag = input_text(c, "tag");
    char rejected[200], missing[800];

    if (!tag[0]) {
        provider_finish(c, VERDICT_INVALID, "a release needs a tag");
        return;
    }
    if (!res) {
        if (c->state.step == REF_READ)
            api->read(c, tag);
        else
            api->create(c, tag, input_text(c, "name"), input_text(c, "notes"));
        return;
    }
    snprintf(rejected, sizeof rejected, "%s rejected the token for this repository: it needs write access to make a release",
             c->prov->display);
    snprintf(missing, sizeof missing, "repository %s/%s not found, or the token cannot see it", provider_text(c, "organization"),
             provider_text(c, "repoName"));
    if (provider_unanswered(c, res))
        return;
    if (c->state.step == REF_READ) {
        if (res->status == 404) { /* none yet: make it */
            provider_next(c, REF_CREATE);
            return;
        }
        if (!provider_failed(c, res, rejected, missing))
            release_done(c, res, api, false);
        return;
    }
    if ((res->status == 400 || res->status == 409 || res->status == 422) && provider_data_int(c, "reread") == 0) {
        json_object_set_new(c->state.data, "reread", json_integer(1));
        provider_next(c, REF_READ);
        return;
    }
    if (!provider_failed(c, res, rejected, missing))
        release_done(c, res, api, true);
}

/* ---- the commits between two refs (release notes) ---- */

const char *scm_compare_range(char *out, size_t n, const char *base, const char *head)
{
    snprintf(out, n, "%s...%s", base, head);
    return out;
}

const json_t *scm_compare_commits(const json_t *answer)
{
    return json_object_get(answer, "commits");
}

const char *scm_commit_message(const json_t *commit)
{
    return json_string_value(json_object_get(json_object_get(commit, "commit"), "message"));
}

json_int_t scm_compare_total(const json_t *answer)
{
    json_t *t = json_object_get(answer, "total_commits");
    return json_is_integer(t) ? json_integer_value(t) : -1;
}

/* The commits gathered so far (state.data's "commits", kept across pages and restarts), made when absent. */
static json_t *compare_gathered(struct provider_call *c)
{
    json_t *all = json_object_get(c->state.data, "commits");

    if (!json_is_array(all)) {
        all = json_array();
        json_object_set_new(c->state.data, "commits", all);
    }
    return all;
}

/* The page's commits onto what was gathered, in the order the provider lists them; false once the limit is reached. */
static bool compare_gather(json_t *all, const json_t *page, const struct scm_compare_api *api)
{
    const json_t *v;
    size_t i;

    json_array_foreach(page, i, v)
    {
        const char *sha = api->sha_of(v), *message = api->message_of(v);
        if (json_array_size(all) >= SCM_COMPARE_MAX)
            return false;
        if (sha)
            json_array_append_new(all, json_pack("{s:s, s:s}", "sha", sha, "message", message ? message : ""));
    }
    return true;
}

void scm_compare_step(struct provider_call *c, const struct outbound_response *res, const struct scm_compare_api *api)
{
    const char *base = input_text(c, "base"), *head = input_text(c, "head"), *next;
    char rejected[200], missing[800];
    json_t *j, *all, *out;
    json_int_t total;
    bool room;
    size_t i, n;

    if (!base[0] || !head[0]) {
        provider_finish(c, VERDICT_INVALID, "a compare needs a base and a head");
        return;
    }
    if (!res) {
        api->send(c, base, head, c->state.step == 0 ? NULL : provider_data_text(c, "cursor"));
        return;
    }
    snprintf(missing, sizeof missing, "%s/%s has no commit %s or %s to compare", provider_text(c, "organization"),
             provider_text(c, "repoName"), base, head);
    if (provider_unanswered(c, res))
        return;
    if (res->status == 400 || res->status == 422) {
        provider_finish(c, VERDICT_INVALID, "%s", missing);
        return;
    }
    snprintf(rejected, sizeof rejected, "%s rejected the token for this repository", c->prov->display);
    if (provider_failed(c, res, rejected, missing) || !(j = provider_answer_json(c, res)))
        return;
    all = compare_gathered(c);
    room = compare_gather(all, api->commits_of(j), api);
    total = api->total_of ? api->total_of(j) : -1;
    next = api->next_of ? api->next_of(j) : NULL;
    if (room && next && *next) {
        json_object_set_new(c->state.data, "cursor", json_string(next));
        json_decref(j);
        provider_next(c, c->state.step + 1);
        return;
    }
    json_decref(j);
    n = json_array_size(all);
    out = json_array();
    for (i = 0; i < n; i++)
        json_array_append(out, json_array_get(all, api->newest_first ? n - 1 - i : i));
    json_object_set_new(c->output, "commits", out);
    json_object_set_new(c->output, "truncated", json_boolean(!room || (total >= 0 && total > (json_int_t)n)));
    provider_finish(c, VERDICT_VALID, "%zu commits between the two", n);
}

/* ---- the repository listing ---- */

/* The member at path ("a.b": nested) of o, or NULL. */
static json_t *member_at(json_t *o, const char *path)
{
    char key[64];

    while (o && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        o = json_object_get(o, key);
        path += n + (path[n] == '.');
    }
    return o;
}

static json_t *list_item(json_t *item, const struct scm_list_api *api)
{
    json_t *id = member_at(item, api->id), *name = member_at(item, api->full_name), *flag = member_at(item, api->private_flag);
    const char *branch = json_string_value(member_at(item, api->default_branch)),
               *url = json_string_value(member_at(item, api->web_url));
    char text[64];

    if (json_is_integer(id))
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    else if (json_is_string(id) && json_string_length(id) < sizeof text)
        snprintf(text, sizeof text, "%s", json_string_value(id));
    else
        return NULL;
    if (!json_is_string(name))
        return NULL;
    return json_pack("{s:s, s:O, s:s?, s:b, s:s?}", "id", text, "fullName", name, "defaultBranch", branch, "private",
                     json_is_string(flag) ? strcmp(json_string_value(flag), "public") != 0 : json_is_true(flag), "webUrl", url);
}

/* The URL of rel="next" in a Link header into out (n bytes); false when there is none. */
static bool link_next(const char *link, char *out, size_t n)
{
    for (const char *at = strchr(link, '<'); at; at = strchr(at + 1, '<')) {
        const char *end = strchr(at, '>'), *stop;
        if (!end)
            return false;
        stop = strchr(end, ',');
        if ((size_t)(end - at - 1) < n && strstr(end, "rel=\"next\"") && (!stop || strstr(end, "rel=\"next\"") < stop)) {
            snprintf(out, n, "%.*s", (int)(end - at - 1), at + 1);
            return true;
        }
    }
    return false;
}

/* The next page the answer names, into out[PROVIDER_URL_MAX] ("" when it is the last). */
static void next_page(const struct outbound_response *res, const json_t *answer, const char *base, const struct scm_list_api *api,
                      char *out)
{
    char value[PROVIDER_URL_MAX];

    out[0] = '\0';
    if (outbound_header(res, "link", value, sizeof value) && link_next(value, out, PROVIDER_URL_MAX))
        return;
    if (outbound_header(res, "x-next-page", value, sizeof value) && value[0] && strspn(value, "0123456789") == strlen(value)) {
        provider_url(out, base, "%s&page=%s", api->first, value);
        return;
    }
    if (json_is_string(json_object_get(answer, "next")))
        snprintf(out, PROVIDER_URL_MAX, "%s", json_string_value(json_object_get(answer, "next")));
}

/* url is under base: the same scheme, host and port, and a path below base's. */
static bool under_base(const char *url, const char *base)
{
    size_t n = strlen(base);

    while (n > 0 && base[n - 1] == '/')
        n--;
    return n > 0 && strncmp(url, base, n) == 0 && (url[n] == '/' || url[n] == '?');
}

void scm_list_step(struct provider_call *c, const struct outbound_response *res, const struct scm_list_api *api)
{
    const char *base = api->base(c), *page = json_string_value(json_object_get(c->input, "page"));
    char url[PROVIDER_URL_MAX], next[PROVIDER_URL_MAX], rejected[200];
    json_t *answer, *items, *item, *list;
    size_t i;

    if (page && !under_base(page, base)) {
        provider_finish(c, VERDICT_INVALID, "the page to list is not on %s's API", c->prov->display);
        return;
    }
    if (!res) {
        api->get(c, page ? page : provider_url(url, base, "%s", api->first));
        return;
    }
    snprintf(rejected, sizeof rejected, "%s rejected the token", c->prov->display);
    if ((api->limited && api->limited(c, res)) || provider_failed(c, res, rejected, rejected) ||
        !(answer = provider_answer_json(c, res)))
        return;
    items = api->items ? json_object_get(answer, api->items) : answer;
    if (!json_is_array(items)) {
        json_decref(answer);
        provider_finish(c, VERDICT_NONE, "%s answered a repository list without its list", c->prov->display);
        return;
    }
    list = json_array();
    json_array_foreach(items, i, item)
    {
        json_t *row = list_item(item, api);
        if (row)
            json_array_append_new(list, row);
    }
    json_object_set_new(c->output, "repositories", list);
    next_page(res, answer, base, api, next);
    json_decref(answer);
    if (next[0] && !under_base(next, base)) {
        provider_finish(c, VERDICT_INVALID, "%s named a next page outside its API", c->prov->display);
        return;
    }
    if (next[0])
        json_object_set_new(c->output, "next", json_string(next));
    provider_finish(c, VERDICT_VALID, "%zu repositories on this page%s", json_array_size(list), next[0] ? ", more follow" : "");
}

/* ---- the OAuth refresh (RFC 6749, section 6) ---- */

/* s form-escaped, or NULL (out of memory, or too long). Caller frees, after provider_wipe. */
static char *form_escape(const char *s)
{
    size_t n = strlen(s) * 3 + 1;
    char *out = malloc(n);

    if (out && !provider_escape(s, out, n)[0] && s[0]) {
        free(out);
        return NULL;
    }
    return out;
}

static void wipe_free(char *s)
{
    if (s)
        provider_wipe(s);
    free(s);
}

static void refresh_send(struct provider_call *c, const char *token_url, bool basic)
{
    static const char *const headers[] = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL};
    const char *id = provider_text(c, "clientId"), *secret = provider_text(c, "clientSecret");
    char *refresh = form_escape(provider_text(c, "refreshToken")), *eid = form_escape(id), *esecret = form_escape(secret);
    char *body = NULL, *userpwd = NULL;
    size_t n = (refresh ? strlen(refresh) : 0) + (eid ? strlen(eid) : 0) + (esecret ? strlen(esecret) : 0) + 128;

    if (refresh && eid && esecret && (body = malloc(n)) && (!basic || (userpwd = malloc(strlen(id) + strlen(secret) + 2)))) {
        if (basic) { /* Bitbucket: the client authenticates with HTTP Basic (RFC 6749, 2.3.1) */
            snprintf(body, n, "grant_type=refresh_token&refresh_token=%s", refresh);
            snprintf(userpwd, strlen(id) + strlen(secret) + 2, "%s:%s", id, secret);
        } else {
            snprintf(body, n, "grant_type=refresh_token&refresh_token=%s&client_id=%s&client_secret=%s", refresh, eid, esecret);
        }
        provider_request(c, "POST", token_url, headers, body, userpwd);
    } else {
        provider_finish(c, VERDICT_NONE, "out of memory");
    }
    wipe_free(refresh);
    wipe_free(eid);
    wipe_free(esecret);
    wipe_free(body);
    wipe_free(userpwd);
}

/*
 * The token endpoint's refusal, as RFC 6749 section 5.2 words it (and
 * GitHub, with its own codes, in a 200), for a person.
 */
static void refresh_refused(struct provider_call *c, const struct outbound_response *res)
{
    json_t *j = json_loadb(res->body, res->len, 0, NULL);
    const char *error = json_string_value(json_object_get(j, "error"));

    if (error && (strcmp(error, "invalid_grant") == 0 || strcmp(error, "bad_refresh_token") == 0))
        provider_finish(c, VERDICT_EXPIRED,
                        "%s refused the refresh token (%s: expired, revoked or already used): connect the integration "
                        "again",
                        c->prov->display, error);
    else if ((error && (strcmp(error, "invalid_client") == 0 || strcmp(error, "incorrect_client_credentials") == 0)) ||
             res->status == 401)
        provider_finish(c, VERDICT_INVALID, "%s refused the OAuth client (%s): check its client id and secret", c->prov->display,
                        error ? error : "HTTP 401");
    else
        provider_finish(c, VERDICT_INVALID, "%s refused the refresh (%s, HTTP %ld)", c->prov->display,
                        error ? error : "no reason given", res->status);
    json_decref(j);
}

void scm_refresh_step(struct provider_call *c, const struct outbound_response *res, const char *token_url, bool basic)
{
    const char *access, *refresh;
    json_t *j;

    if (!res) {
        if (!provider_text(c, "refreshToken")[0])
            provider_finish(c, VERDICT_INVALID, "the integration has no refresh token");
        else if (!provider_text(c, "clientId")[0] || !provider_text(c, "clientSecret")[0])
            provider_finish(c, VERDICT_INVALID,
                            "a refresh needs the OAuth application's client id and secret: add them to "
                            "the integration");
        else
            refresh_send(c, token_url, basic);
        return;
    }
    if (provider_unanswered(c, res))
        return;
    if (res->status != 200) {
        refresh_refused(c, res);
        return;
    }
    if (!(j = provider_answer_json(c, res)))
        return;
    if (json_is_string(json_object_get(j, "error"))) { /* GitHub's refusals */
        json_decref(j);
        refresh_refused(c, res);
        return;
    }
    access = json_string_value(json_object_get(j, "access_token"));
    refresh = json_string_value(json_object_get(j, "refresh_token"));
    if (!access || strlen(access) >= 4096 || (refresh && strlen(refresh) >= 4096)) {
        provider_finish(c, VERDICT_NONE, "%s's token endpoint answered without a usable access token", c->prov->display);
    } else {
        /* Secrets stay in the state (a job's row keeps them encrypted); the output says only when. */
        json_object_set_new(c->state.secrets, "accessToken", json_string(access));
        if (refresh) /* rotated: the old one is spent */
            json_object_set_new(c->state.secrets, "refreshToken", json_string(refresh));
        if (json_is_integer(json_object_get(j, "expires_in")))
            json_object_set(c->output, "expiresIn", json_object_get(j, "expires_in"));
        provider_finish(c, VERDICT_VALID, "%s issued a new access token", c->prov->display);
    }
    secret_wipe_json(j);
    json_decref(j);
}
