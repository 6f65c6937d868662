/* jira.c: Jira Cloud (REST API v3, Basic auth with an API token). docs/verification.md says what verify asks and concludes. */
#include <strings.h>

#include "providers/call.h"
#include "providers/fields.h"
#include "providers/tickets/tickets.h"

static const char *check_key(json_t *j)
{
    const char *v = json_string_value(j);
    if (!(v[0] >= 'A' && v[0] <= 'Z') || strlen(v) < 2 || strlen(v) > 10 || !fields_all_chars(v, "_", false, true, true))
        return "must be a Jira project key, e.g. APP";
    return NULL;
}

static const struct field fields[] = {
    URL("jiraUrl", true),
    EMAIL("jiraEmail", true),
    SECRET("jiraApiToken", true, 4096),
    FMT("jiraProjectKey", true, 10, check_key, "jira project key"),
    TEXT("jiraDefaultIssueType", false, 255),
    TEXT("issueTransition", false, 255), /* optional: the transition the notes' issues take when the version is released */
};

enum { MYSELF, PROJECT };

/* The token's user, then the project. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *key = provider_text(c, "jiraProjectKey");
    char userpwd[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX], enc[64], msg[300];
    const char *headers[] = {"Accept: application/json", NULL};

    if (!res) {
        if (c->state.step == MYSELF)
            provider_url(target, provider_text(c, "jiraUrl"), "/rest/api/3/myself");
        else
            provider_url(target, provider_text(c, "jiraUrl"), "/rest/api/3/project/%s", provider_escape(key, enc, sizeof enc));
        snprintf(userpwd, sizeof userpwd, "%s:%s", provider_text(c, "jiraEmail"), provider_text(c, "jiraApiToken"));
        provider_request(c, "GET", target, headers, NULL, userpwd);
        provider_wipe(userpwd);
        return;
    }
    if (c->state.step == MYSELF) {
        if (!provider_failed(c, res, "Jira rejected the e-mail address or API token",
                             "Jira answered 404: is the URL the site root?"))
            provider_next(c, PROJECT);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found, or the user cannot browse it", key);
    if (!provider_failed(c, res, "Jira rejected the e-mail address or API token", msg))
        provider_finish(c, VERDICT_VALID, "Jira accepts the API token, and project %s exists", key);
}

/* ---- a release's issue (provider.h: ticket_open, ticket_comment, ticket_close) ---- */

/* method on the site's REST API v3 (path after /rest/api/3), with Basic auth and body (JSON, or NULL). */
static void send(struct provider_call *c, const char *method, const char *path, const json_t *body)
{
    char userpwd[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX];
    const char *headers[] = {"Accept: application/json", "Content-Type: application/json", NULL};
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

    provider_url(target, provider_text(c, "jiraUrl"), "/rest/api/3%s", path);
    snprintf(userpwd, sizeof userpwd, "%s:%s", provider_text(c, "jiraEmail"), provider_text(c, "jiraApiToken"));
    provider_request(c, method, target, headers, text, userpwd);
    provider_wipe(userpwd);
    free(text);
}

/* Atlassian Document Format: one paragraph of text. Caller owns. */
static json_t *adf(const char *text)
{
    return json_pack("{s:s, s:i, s:[{s:s, s:[{s:s, s:s}]}]}", "type", "doc", "version", 1, "content", "type", "paragraph",
                     "content", "type", "text", "text", text && text[0] ? text : "-");
}

static const char *text_of(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static const char *input_text(const struct provider_call *c, const char *key)
{
    return text_of(c->input, key);
}

/* The answer of a 2xx as JSON, or NULL when the call ended (a refusal, no answer). */
static json_t *answer(struct provider_call *c, const struct outbound_response *res)
{
    return provider_failed(c, res, "Jira rejected the e-mail address or API token", "Jira has no such project or issue")
               ? NULL
               : provider_answer_json(c, res);
}

/* The output of a found or opened issue, and the end of the call. */
static void opened(struct provider_call *c, const char *key, bool found)
{
    char url[PROVIDER_URL_MAX], enc[300];

    provider_url(url, provider_text(c, "jiraUrl"), "/browse/%s", provider_escape(key, enc, sizeof enc));
    json_object_set_new(c->output, "key", json_string(key));
    json_object_set_new(c->output, "url", json_string(url));
    json_object_set_new(c->output, "found", json_boolean(found));
    provider_finish(c, VERDICT_VALID, "%s %s", found ? "found" : "opened", key);
}

enum { OPEN_SEARCH, OPEN_PROJECT, OPEN_VERSION, OPEN_ISSUE };

/* The search for the issue with the release's label. */
static void send_search(struct provider_call *c)
{
    char path[1024], jql[300], enc[900];

    snprintf(jql, sizeof jql, "project = \"%s\" AND labels = \"%s\"", provider_text(c, "jiraProjectKey"), input_text(c, "label"));
    snprintf(path, sizeof path, "/search/jql?fields=key&maxResults=1&jql=%s", provider_escape(jql, enc, sizeof enc));
    send(c, "GET", path, NULL);
}

/* The new issue: the summary, the configured type (else Task), the label and the fix version. */
static void send_create(struct provider_call *c)
{
    const char *type = provider_text(c, "jiraDefaultIssueType");
    json_t *body = json_pack("{s:{s:{s:s}, s:s, s:{s:s}, s:o, s:[s], s:[{s:s}]}}", "fields", "project", "key",
                             provider_text(c, "jiraProjectKey"), "summary", input_text(c, "summary"), "issuetype", "name",
                             type && type[0] ? type : "Task", "description", adf(input_text(c, "description")), "labels",
                             input_text(c, "label"), "fixVersions", "id", provider_data_text(c, "versionId"));

    json_object_set_new(c->state.data, "searched", json_integer(1)); /* in memory only: a run resumed here searches again */
    send(c, "POST", "/issue", body);
    json_decref(body);
}

/*
 * The issue with the release's label, else the fix version (found or
 * created) and a new issue carrying both. Jira's create is not idempotent,
 * so its step searches again first: a run killed after Jira made the issue
 * (and before the step's answer was saved) resumes at that step and finds
 * it instead of making a second.
 */
static void ticket_open(struct provider_call *c, const struct outbound_response *res)
{
    char path[1024], enc[900];
    bool search = c->state.step == OPEN_SEARCH || (c->state.step == OPEN_ISSUE && !provider_data_int(c, "searched"));
    json_t *j, *v, *body;
    size_t i;

    if (!res) {
        json_object_del(c->state.data, "searched");
        if (c->state.step == OPEN_SEARCH || c->state.step == OPEN_ISSUE) {
            send_search(c);
        } else if (c->state.step == OPEN_PROJECT) {
            snprintf(path, sizeof path, "/project/%s", provider_escape(provider_text(c, "jiraProjectKey"), enc, sizeof enc));
            send(c, "GET", path, NULL);
        } else {
            body = json_pack("{s:s, s:s}", "name", input_text(c, "version"), "projectId", provider_data_text(c, "projectId"));
            send(c, "POST", "/version", body);
            json_decref(body);
        }
        return;
    }
    if (!(j = answer(c, res)))
        return;
    if (search) {
        v = json_array_get(json_object_get(j, "issues"), 0);
        if (json_string_value(json_object_get(v, "key")))
            opened(c, json_string_value(json_object_get(v, "key")), true);
        else if (c->state.step == OPEN_SEARCH)
            provider_next(c, OPEN_PROJECT);
        else
            send_create(c);
    } else if (c->state.step == OPEN_PROJECT) {
        json_object_set(c->state.data, "projectId", json_object_get(j, "id"));
        json_array_foreach(json_object_get(j, "versions"), i, v)
        {
            if (strcmp(text_of(v, "name"), input_text(c, "version")) == 0)
                json_object_set(c->state.data, "versionId", json_object_get(v, "id"));
        }
        provider_next(c, provider_data_text(c, "versionId")[0] ? OPEN_ISSUE : OPEN_VERSION);
    } else if (c->state.step == OPEN_VERSION) {
        json_object_set(c->state.data, "versionId", json_object_get(j, "id"));
        if (provider_data_text(c, "versionId")[0])
            provider_next(c, OPEN_ISSUE);
        else
            provider_finish(c, VERDICT_NONE, "Jira answered the new version without its id");
    } else if (json_string_value(json_object_get(j, "key"))) {
        opened(c, json_string_value(json_object_get(j, "key")), false);
    } else {
        provider_finish(c, VERDICT_NONE, "Jira answered the new issue without its key");
    }
    json_decref(j);
}

static void ticket_comment(struct provider_call *c, const struct outbound_response *res)
{
    char path[600], enc[300];
    json_t *body, *j;

    if (!res) {
        snprintf(path, sizeof path, "/issue/%s/comment", provider_escape(input_text(c, "key"), enc, sizeof enc));
        body = json_pack("{s:o}", "body", adf(input_text(c, "text")));
        send(c, "POST", path, body);
        json_decref(body);
        return;
    }
    if ((j = answer(c, res))) {
        provider_finish(c, VERDICT_VALID, "commented on %s", input_text(c, "key"));
        json_decref(j);
    }
}

enum { CLOSE_LIST, CLOSE_MOVE };

/* The transition of the configured name (case aside; absent: "Done"), found among the issue's, then taken. */
static void ticket_close(struct provider_call *c, const struct outbound_response *res)
{
    const char *want = input_text(c, "transition")[0] ? input_text(c, "transition") : "Done";
    char path[600], enc[300];
    json_t *body, *j, *t;
    size_t i;

    if (!res) {
        snprintf(path, sizeof path, "/issue/%s/transitions", provider_escape(input_text(c, "key"), enc, sizeof enc));
        body =
            c->state.step == CLOSE_MOVE ? json_pack("{s:{s:s}}", "transition", "id", provider_data_text(c, "transitionId")) : NULL;
        send(c, c->state.step == CLOSE_MOVE ? "POST" : "GET", path, body);
        json_decref(body);
        return;
    }
    if (c->state.step == CLOSE_MOVE) {
        if (!provider_failed(c, res, "Jira rejected the e-mail address or API token", "Jira has no such issue")) {
            json_object_set_new(c->output, "status", json_string(want));
            provider_finish(c, VERDICT_VALID, "moved %s to %s", input_text(c, "key"), want);
        }
        return;
    }
    if (!(j = answer(c, res)))
        return;
    json_array_foreach(json_object_get(j, "transitions"), i, t)
    {
        if (strcasecmp(text_of(t, "name"), want) == 0)
            json_object_set(c->state.data, "transitionId", json_object_get(t, "id"));
    }
    if (provider_data_text(c, "transitionId")[0])
        provider_next(c, CLOSE_MOVE);
    else
        provider_finish(c, VERDICT_INVALID, "%s has no transition named %s now", input_text(c, "key"), want);
    json_decref(j);
}

enum { LINK_PROJECT, LINK_VERSION, LINK_ISSUE, LINK_RELEASE, LINK_TRANSITIONS, LINK_MOVE, LINK_MOVED };

/* The end of a link call: what it did, from its state. */
static void link_done(struct provider_call *c)
{
    static const char *const kept[] = {"versionId", "linked", "missing", "moved", "skipped"};
    for (size_t i = 0; i < ARRAY_LEN(kept); i++)
        if (json_object_get(c->state.data, kept[i]))
            json_object_set(c->output, kept[i], json_object_get(c->state.data, kept[i]));
    provider_finish(c, VERDICT_VALID, "%s on %zu issues%s", input_text(c, "version"),
                    json_array_size(json_object_get(c->state.data, "linked")),
                    json_is_true(json_object_get(c->input, "released")) ? ", released" : "");
}

/*
 * After the version is released: each issue of moves (the keys every job of
 * the release claimed) through the transition named issueTransition (case
 * aside), one issue a GET of its transitions then a POST of that one. An
 * issue that does not exist (404), has no such transition now, or is refused
 * it (400) is skipped, not a failure. The index is saved at each step, so a
 * resumed run goes on from the issue it was at.
 *
 * A transition is not idempotent (a workflow may offer "Done" from Done), so
 * its POST is claimed first: "sending" (input "claim", a token new to each
 * call) is saved before it goes out. A call that finds another call's claim
 * (a process killed, or stopped, with the POST maybe sent) reads the issue's
 * status (LINK_MOVED) and counts the issue moved when it is the transition's
 * target, else asks for its transitions again.
 */
static void move_step(struct provider_call *c, const struct outbound_response *res, const json_t *moves)
{
    json_int_t next = provider_data_int(c, "moveNext");
    const char *key = json_string_value(json_array_get(moves, (size_t)next)), *want = input_text(c, "issueTransition");
    char path[600], enc[300];
    json_t *j, *t, *body = NULL;
    size_t i;

    if (!res) {
        const char *mine = input_text(c, "claim");
        bool others = provider_data_text(c, "sending")[0] != '\0';
        if (c->state.step == LINK_MOVE && strcmp(provider_data_text(c, "sending"), mine) != 0) {
            json_object_set_new(c->state.data, "sending", json_string(others ? "" : mine));
            provider_next(c, others ? LINK_MOVED : LINK_MOVE); /* claimed, then sent; or another call's claim */
            return;
        }
        provider_escape(key ? key : "", enc, sizeof enc);
        snprintf(path, sizeof path, c->state.step == LINK_MOVED ? "/issue/%s?fields=status" : "/issue/%s/transitions", enc);
        if (c->state.step == LINK_MOVE)
            body = json_pack("{s:{s:s}}", "transition", "id", provider_data_text(c, "transitionId"));
        send(c, body ? "POST" : "GET", path, body);
        json_decref(body);
        return;
    }
    json_object_del(c->state.data, "sending");
    if (res->failure == OUTBOUND_OK && (res->status == 404 || (c->state.step == LINK_MOVE && res->status == 400))) {
        json_array_append_new(json_object_get(c->state.data, "skipped"), json_string(key));
    } else if (c->state.step == LINK_MOVE) { /* 204, no body */
        if (provider_failed(c, res, "Jira rejected the e-mail address or API token", "Jira has no such issue"))
            return;
        json_array_append_new(json_object_get(c->state.data, "moved"), json_string(key));
    } else if (!(j = answer(c, res))) {
        return;
    } else if (c->state.step == LINK_MOVED) {
        const char *to = provider_data_text(c, "toStatus");
        bool landed = to[0] && strcmp(text_of(json_object_get(json_object_get(j, "fields"), "status"), "id"), to) == 0;
        json_decref(j);
        if (!landed) { /* the claimed POST never reached Jira: its transitions again */
            provider_next(c, LINK_TRANSITIONS);
            return;
        }
        json_array_append_new(json_object_get(c->state.data, "moved"), json_string(key));
    } else {
        json_object_del(c->state.data, "transitionId");
        json_array_foreach(json_object_get(j, "transitions"), i, t)
        {
            if (strcasecmp(text_of(t, "name"), want) == 0) {
                json_object_set(c->state.data, "transitionId", json_object_get(t, "id"));
                json_object_set(c->state.data, "toStatus", json_object_get(json_object_get(t, "to"), "id"));
            }
        }
        json_decref(j);
        if (provider_data_text(c, "transitionId")[0]) {
            provider_next(c, LINK_MOVE);
            return;
        }
        json_array_append_new(json_object_get(c->state.data, "skipped"), json_string(key)); /* not available to it now */
    }
    json_object_set_new(c->state.data, "moveNext", json_integer(++next));
    if (next < (json_int_t)json_array_size(moves))
        provider_next(c, LINK_TRANSITIONS);
    else
        link_done(c);
}

/*
 * The fix version (found or created) on each issue of issues, one issue a
 * step, then released when asked, then (issueTransition set) each issue of
 * moves moved (move_step): after the release, or after the issues for a call
 * not asked to release (a link job whose release was released already:
 * moves names only what its edit added, src/notify/tickets.c moves_take).
 */
static void link_step(struct provider_call *c, const struct outbound_response *res, const json_t *issues, const json_t *moves)
{
    json_int_t next = provider_data_int(c, "next");
    const char *key = json_string_value(json_array_get(issues, (size_t)next));
    char path[600], enc[300];
    json_t *j = NULL, *v, *body;
    size_t i;

    if (!res) {
        if (c->state.step == LINK_PROJECT) {
            snprintf(path, sizeof path, "/project/%s", provider_escape(provider_text(c, "jiraProjectKey"), enc, sizeof enc));
            send(c, "GET", path, NULL);
            return;
        }
        if (c->state.step == LINK_VERSION)
            body = json_pack("{s:s, s:s}", "name", input_text(c, "version"), "projectId", provider_data_text(c, "projectId"));
        else if (c->state.step == LINK_ISSUE)
            body = json_pack("{s:{s:[{s:{s:s}}]}}", "update", "fixVersions", "add", "id", provider_data_text(c, "versionId"));
        else
            body = json_pack("{s:b, s:s}", "released", 1, "releaseDate", input_text(c, "releaseDate"));
        if (c->state.step == LINK_ISSUE)
            snprintf(path, sizeof path, "/issue/%s", provider_escape(key ? key : "", enc, sizeof enc));
        else if (c->state.step == LINK_RELEASE)
            snprintf(path, sizeof path, "/version/%s", provider_escape(provider_data_text(c, "versionId"), enc, sizeof enc));
        send(c, c->state.step == LINK_VERSION ? "POST" : "PUT", c->state.step == LINK_VERSION ? "/version" : path, body);
        json_decref(body);
        return;
    }
    if (c->state.step == LINK_ISSUE && res->failure == OUTBOUND_OK && res->status == 404) {
        json_array_append_new(json_object_get(c->state.data, "missing"), json_string(key)); /* no such issue: named anyway */
    } else if (c->state.step == LINK_ISSUE) {                                               /* 204, no body */
        if (provider_failed(c, res, "Jira rejected the e-mail address or API token", "Jira has no such issue"))
            return;
        json_array_append_new(json_object_get(c->state.data, "linked"), json_string(key));
    } else if (!(j = answer(c, res))) {
        return;
    } else if (c->state.step == LINK_PROJECT) {
        json_object_set(c->state.data, "projectId", json_object_get(j, "id"));
        json_object_set_new(c->state.data, "linked", json_array());
        json_object_set_new(c->state.data, "missing", json_array());
        json_array_foreach(json_object_get(j, "versions"), i, v)
        {
            if (strcmp(text_of(v, "name"), input_text(c, "version")) == 0)
                json_object_set(c->state.data, "versionId", json_object_get(v, "id"));
        }
    } else if (c->state.step == LINK_VERSION) {
        json_object_set(c->state.data, "versionId", json_object_get(j, "id"));
    }
    json_decref(j);
    if (c->state.step == LINK_ISSUE)
        json_object_set_new(c->state.data, "next", json_integer(++next));
    if (!provider_data_text(c, "versionId")[0] && c->state.step != LINK_PROJECT) {
        provider_finish(c, VERDICT_NONE, "Jira answered the new version without its id");
    } else if (!provider_data_text(c, "versionId")[0]) {
        provider_next(c, LINK_VERSION);
    } else if (c->state.step != LINK_RELEASE && next < (json_int_t)json_array_size(issues)) {
        provider_next(c, LINK_ISSUE);
    } else if (c->state.step != LINK_RELEASE && json_is_true(json_object_get(c->input, "released"))) {
        provider_next(c, LINK_RELEASE);
    } else if ((c->state.step == LINK_RELEASE || !json_is_true(json_object_get(c->input, "released"))) &&
               input_text(c, "issueTransition")[0] && json_array_size(moves) > 0) { /* a link job's: released already */
        json_object_set_new(c->state.data, "moveNext", json_integer(0));
        json_object_set_new(c->state.data, "moved", json_array());
        json_object_set_new(c->state.data, "skipped", json_array());
        provider_next(c, LINK_TRANSITIONS);
    } else {
        link_done(c);
    }
}

/* The issues of the project the notes name, each given the fix version (provider.h: tickets_link). */
static void tickets_link(struct provider_call *c, const struct outbound_response *res)
{
    char prefix[300];
    json_t *issues, *moves;

    snprintf(prefix, sizeof prefix, "%s-", provider_text(c, "jiraProjectKey"));
    issues = tickets_link_keys(c->input, prefix);
    moves = tickets_issue_keys(input_text(c, "moves"), prefix);
    if (c->state.step >= LINK_TRANSITIONS)
        move_step(c, res, moves);
    else
        link_step(c, res, issues, moves);
    json_decref(issues);
    json_decref(moves);
}

static const struct provider_ops ops = {.verify = verify,
                                        .ticket_open = ticket_open,
                                        .ticket_comment = ticket_comment,
                                        .ticket_close = ticket_close,
                                        .tickets_link = tickets_link};

struct provider jira_provider = {
    .type = "JIRA",
    .kind = "jira",
    .display = "Jira",
    .category = CAT_TICKETS,
    FIELDS(fields),
    .caps = CAP_VERIFY | CAP_TICKET_OPEN | CAP_TICKET_COMMENT | CAP_TICKET_CLOSE | CAP_TICKETS_LINK,
    .ops = &ops,
};
