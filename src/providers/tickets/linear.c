/* linear.c: Linear (GraphQL, an API key). docs/verification.md says what verify asks and concludes. */
#include <strings.h>

#include "providers/call.h"
#include "providers/fields.h"
#include "providers/tickets/tickets.h"

static struct provider_setting api = {
    .env = "SLIPWAY_LINEAR_API_URL", .def = "https://api.linear.app/graphql", .help = "Linear's GraphQL API", .kind = SETTING_TEXT};

static const struct field fields[] = {
    SECRET("linearApiKey", true, 4096),
    TEXT("linearTeamId", true, 255),
    TEXT("linearDefaultProjectId", false, 255),
};

/* One query: the key's user and the team. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    char auth[PROVIDER_AUTH_MAX], body[1024];
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    json_t *q, *j, *data, *error;
    const char *code, *message;
    char *text;

    if (!res) {
        q = json_pack("{s:s, s:{s:s}}", "query", "query($team: String!) { viewer { id name } team(id: $team) { id name } }",
                      "variables", "team", provider_text(c, "linearTeamId"));
        text = json_dumps(q, JSON_COMPACT);
        json_decref(q);
        snprintf(body, sizeof body, "%s", text ? text : "{}");
        free(text);
        provider_header(auth, "Authorization", "", provider_text(c, "linearApiKey"));
        provider_request(c, "POST", api.text, headers, body, NULL);
        provider_wipe(auth);
        return;
    }
    if (provider_unanswered(c, res) || !(j = provider_answer_json(c, res)))
        return;
    data = json_object_get(j, "data");
    /* GraphQL reports in "errors": an authentication error, or a team it cannot find (data is then null). */
    error = json_array_get(json_object_get(j, "errors"), 0);
    code = json_string_value(json_object_get(json_object_get(error, "extensions"), "code"));
    message = json_string_value(json_object_get(error, "message"));
    if ((code && strcmp(code, "AUTHENTICATION_ERROR") == 0) || res->status == 401 || res->status == 403)
        provider_finish(c, VERDICT_INVALID, "Linear rejected the API key");
    else if (!json_is_object(json_object_get(data, "team")) &&
             (json_is_object(json_object_get(data, "viewer")) || (message && strstr(message, "not found"))))
        provider_finish(c, VERDICT_INVALID, "team %s not found in Linear, or the key cannot see it",
                        provider_text(c, "linearTeamId"));
    else if (!json_is_object(json_object_get(data, "viewer")))
        provider_finish(c, VERDICT_INVALID, "Linear did not accept the API key (%s)", message ? message : "no reason given");
    else
        provider_finish(c, VERDICT_VALID, "Linear accepts the API key, and the team exists");
    json_decref(j);
}

/* ---- a release's issue (provider.h: ticket_open, ticket_comment, ticket_close) ---- */

/* One GraphQL request: query with variables (stolen). */
static void gql(struct provider_call *c, const char *query, json_t *variables)
{
    char auth[PROVIDER_AUTH_MAX];
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    json_t *q = json_pack("{s:s, s:o}", "query", query, "variables", variables);
    char *text = json_dumps(q, JSON_COMPACT);

    json_decref(q);
    provider_header(auth, "Authorization", "", provider_text(c, "linearApiKey"));
    provider_request(c, "POST", api.text, headers, text ? text : "{}", NULL);
    provider_wipe(auth);
    free(text);
}

/* The answer's data (the whole answer, to decref), or NULL after ending the call: no answer, a refusal, an error. */
static json_t *gql_data(struct provider_call *c, const struct outbound_response *res, json_t **whole)
{
    json_t *error;
    const char *code, *message;

    *whole = NULL;
    if (provider_unanswered(c, res) || !(*whole = provider_answer_json(c, res)))
        return NULL;
    error = json_array_get(json_object_get(*whole, "errors"), 0);
    code = json_string_value(json_object_get(json_object_get(error, "extensions"), "code"));
    message = json_string_value(json_object_get(error, "message"));
    if ((code && strcmp(code, "AUTHENTICATION_ERROR") == 0) || res->status == 401 || res->status == 403)
        provider_finish(c, VERDICT_INVALID, "Linear rejected the API key");
    else if (error || res->status / 100 != 2 || !json_is_object(json_object_get(*whole, "data")))
        provider_finish(c, VERDICT_INVALID, "Linear refused: %s", message ? message : "no reason given");
    else
        return json_object_get(*whole, "data");
    json_decref(*whole);
    *whole = NULL;
    return NULL;
}

static const char *input_text(const struct provider_call *c, const char *key)
{
    const char *v = json_string_value(json_object_get(c->input, key));
    return v ? v : "";
}

/* The output of a found or created issue ({"identifier", "url"}), and the end of the call. */
static void opened(struct provider_call *c, const json_t *issue, bool found)
{
    json_object_set(c->output, "key", json_object_get(issue, "identifier"));
    json_object_set(c->output, "url", json_object_get(issue, "url"));
    json_object_set_new(c->output, "found", json_boolean(found));
    if (json_string_value(json_object_get(issue, "identifier")) && json_string_value(json_object_get(issue, "url")))
        provider_finish(c, VERDICT_VALID, "%s %s", found ? "found" : "created",
                        json_string_value(json_object_get(issue, "identifier")));
    else
        provider_finish(c, VERDICT_NONE, "Linear answered the issue without its identifier or url");
}

/* The label named label: found by name, or (create) made in the team. */
static void send_label(struct provider_call *c, const char *label, bool create)
{
    if (create)
        gql(c, "mutation($input: IssueLabelCreateInput!) { issueLabelCreate(input: $input) { success issueLabel { id } } }",
            json_pack("{s:{s:s, s:s}}", "input", "name", label, "teamId", provider_text(c, "linearTeamId")));
    else
        gql(c, "query($label: String!) { issueLabels(filter: {name: {eq: $label}}) { nodes { id } } }",
            json_pack("{s:s}", "label", label));
}

/* The label's id from the answer of send_label into the state's labelId: true when there is one. */
static bool read_label(struct provider_call *c, const json_t *data, bool create)
{
    json_t *found = create ? json_object_get(json_object_get(data, "issueLabelCreate"), "issueLabel")
                           : json_array_get(json_object_get(json_object_get(data, "issueLabels"), "nodes"), 0);
    json_object_set(c->state.data, "labelId", json_object_get(found, "id"));
    return provider_data_text(c, "labelId")[0] != '\0';
}

enum { OPEN_SEARCH, OPEN_LABEL, OPEN_LABEL_CREATE, OPEN_ISSUE };

/* The new issue in the team (and the default project), with the label. */
static void send_create(struct provider_call *c)
{
    json_t *vars = json_pack("{s:{s:s, s:s, s:s, s:[s]}}", "input", "teamId", provider_text(c, "linearTeamId"), "title",
                             input_text(c, "summary"), "description", input_text(c, "description"), "labelIds",
                             provider_data_text(c, "labelId"));

    if (provider_text(c, "linearDefaultProjectId")[0])
        json_object_set_new(json_object_get(vars, "input"), "projectId", json_string(provider_text(c, "linearDefaultProjectId")));
    json_object_set_new(c->state.data, "searched", json_integer(1)); /* in memory only: a run resumed here searches again */
    gql(c, "mutation($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier url } } }", vars);
}

/*
 * The issue with the release's label in the team, else the label (found or
 * created) and a new issue carrying it. Linear's create is not idempotent,
 * so its step searches again first: a run killed while Linear held the
 * create resumes at that step and finds the issue instead of making a second.
 */
static void ticket_open(struct provider_call *c, const struct outbound_response *res)
{
    const char *team = provider_text(c, "linearTeamId"), *label = input_text(c, "label");
    bool search = c->state.step == OPEN_SEARCH || (c->state.step == OPEN_ISSUE && !provider_data_int(c, "searched"));
    json_t *whole, *data;

    if (!res) {
        json_object_del(c->state.data, "searched");
        if (c->state.step == OPEN_SEARCH || c->state.step == OPEN_ISSUE) {
            gql(c,
                "query($team: ID!, $label: String!) { issues(filter: {team: {id: {eq: $team}}, labels: {name: {eq: $label}}}) "
                "{ nodes { id identifier url } } }",
                json_pack("{s:s, s:s}", "team", team, "label", label));
        } else {
            send_label(c, label, c->state.step == OPEN_LABEL_CREATE);
        }
        return;
    }
    if (!(data = gql_data(c, res, &whole)))
        return;
    if (search) {
        json_t *issue = json_array_get(json_object_get(json_object_get(data, "issues"), "nodes"), 0);
        if (issue)
            opened(c, issue, true);
        else if (c->state.step == OPEN_SEARCH)
            provider_next(c, OPEN_LABEL);
        else
            send_create(c);
    } else if (c->state.step == OPEN_LABEL || c->state.step == OPEN_LABEL_CREATE) {
        if (read_label(c, data, c->state.step == OPEN_LABEL_CREATE))
            provider_next(c, OPEN_ISSUE);
        else if (c->state.step == OPEN_LABEL)
            provider_next(c, OPEN_LABEL_CREATE);
        else
            provider_finish(c, VERDICT_NONE, "Linear answered the new label without its id");
    } else {
        opened(c, json_object_get(json_object_get(data, "issueCreate"), "issue"), false);
    }
    json_decref(whole);
}

static void ticket_comment(struct provider_call *c, const struct outbound_response *res)
{
    json_t *whole;

    if (!res) {
        gql(c, "mutation($input: CommentCreateInput!) { commentCreate(input: $input) { success } }",
            json_pack("{s:{s:s, s:s}}", "input", "issueId", input_text(c, "key"), "body", input_text(c, "text")));
        return;
    }
    if (gql_data(c, res, &whole)) {
        provider_finish(c, VERDICT_VALID, "commented on %s", input_text(c, "key"));
        json_decref(whole);
    }
}

enum { CLOSE_STATES, CLOSE_MOVE };

/* The team's state of the configured name (absent: its first of type "completed"), then the issue moved to it. */
static void ticket_close(struct provider_call *c, const struct outbound_response *res)
{
    const char *want = input_text(c, "transition");
    json_t *whole, *data, *s;
    size_t i;

    if (!res) {
        if (c->state.step == CLOSE_STATES)
            gql(c, "query($team: String!) { team(id: $team) { states { nodes { id name type } } } }",
                json_pack("{s:s}", "team", provider_text(c, "linearTeamId")));
        else
            gql(c, "mutation($id: String!, $input: IssueUpdateInput!) { issueUpdate(id: $id, input: $input) { success } }",
                json_pack("{s:s, s:{s:s}}", "id", input_text(c, "key"), "input", "stateId", provider_data_text(c, "stateId")));
        return;
    }
    if (!(data = gql_data(c, res, &whole)))
        return;
    if (c->state.step == CLOSE_MOVE) {
        json_object_set_new(c->output, "status", json_string(provider_data_text(c, "stateName")));
        provider_finish(c, VERDICT_VALID, "moved %s to %s", input_text(c, "key"), provider_data_text(c, "stateName"));
        json_decref(whole);
        return;
    }
    json_array_foreach(json_object_get(json_object_get(json_object_get(data, "team"), "states"), "nodes"), i, s)
    {
        const char *name = json_string_value(json_object_get(s, "name")), *type = json_string_value(json_object_get(s, "type"));
        if (!provider_data_text(c, "stateId")[0] && name &&
            (want[0] ? strcasecmp(name, want) == 0 : type && strcmp(type, "completed") == 0)) {
            json_object_set(c->state.data, "stateId", json_object_get(s, "id"));
            json_object_set(c->state.data, "stateName", json_object_get(s, "name"));
        }
    }
    if (provider_data_text(c, "stateId")[0])
        provider_next(c, CLOSE_MOVE);
    else
        provider_finish(c, VERDICT_INVALID, "the team has no state %s", want[0] ? want : "of type completed");
    json_decref(whole);
}

enum { LINK_TEAM, LINK_LABEL, LINK_LABEL_CREATE, LINK_ISSUE };

/* True when res is Linear's answer that the issue does not exist (an error at HTTP 200, data null). */
static bool issue_missing(const struct outbound_response *res)
{
    json_t *j = res->failure == OUTBOUND_OK && res->status == 200 ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    const char *message = json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message"));
    bool missing = message && strcmp(message, "Entity not found: Issue") == 0;

    json_decref(j);
    return missing;
}

/*
 * The label "release-{version}" (found, else made in the team) on each
 * issue of the team the notes name (its key: the team's, read first), one
 * issue a step (provider.h: tickets_link). Linear's issueAddLabel leaves an
 * issue that has the label unchanged; one it does not know is missing.
 */
static void tickets_link(struct provider_call *c, const struct outbound_response *res)
{
    char label[128], prefix[64];
    json_int_t next = provider_data_int(c, "next");
    json_t *whole = NULL, *data = NULL, *issues;
    const char *key;

    snprintf(label, sizeof label, "release-%s", input_text(c, "version"));
    snprintf(prefix, sizeof prefix, "%s-", provider_data_text(c, "teamKey"));
    issues = c->state.step == LINK_TEAM ? json_array() : tickets_link_keys(c->input, prefix);
    key = json_string_value(json_array_get(issues, (size_t)next));
    if (!res) {
        if (c->state.step == LINK_TEAM)
            gql(c, "query($team: String!) { team(id: $team) { key } }",
                json_pack("{s:s}", "team", provider_text(c, "linearTeamId")));
        else if (c->state.step == LINK_ISSUE)
            gql(c, "mutation($id: String!, $label: String!) { issueAddLabel(id: $id, labelId: $label) { success } }",
                json_pack("{s:s, s:s}", "id", key ? key : "", "label", provider_data_text(c, "labelId")));
        else
            send_label(c, label, c->state.step == LINK_LABEL_CREATE);
        json_decref(issues);
        return;
    }
    if (c->state.step == LINK_ISSUE && issue_missing(res)) {
        json_array_append_new(json_object_get(c->state.data, "missing"), json_string(key));
    } else if (!(data = gql_data(c, res, &whole))) {
        json_decref(issues);
        return;
    } else if (c->state.step == LINK_TEAM) {
        json_object_set(c->state.data, "teamKey", json_object_get(json_object_get(data, "team"), "key"));
        json_object_set_new(c->state.data, "linked", json_array());
        json_object_set_new(c->state.data, "missing", json_array());
        snprintf(prefix, sizeof prefix, "%s-", provider_data_text(c, "teamKey"));
        json_decref(issues);
        issues = tickets_link_keys(c->input, prefix);
    } else if (c->state.step == LINK_ISSUE) {
        json_array_append_new(json_object_get(c->state.data, "linked"), json_string(key));
    }
    if (c->state.step == LINK_ISSUE)
        json_object_set_new(c->state.data, "next", json_integer(++next));
    if (c->state.step == LINK_TEAM && !provider_data_text(c, "teamKey")[0]) {
        provider_finish(c, VERDICT_NONE, "Linear answered the team without its key");
    } else if (c->state.step != LINK_ISSUE && next < (json_int_t)json_array_size(issues) && !provider_data_text(c, "labelId")[0] &&
               (c->state.step == LINK_TEAM || !read_label(c, data, c->state.step == LINK_LABEL_CREATE))) {
        if (c->state.step == LINK_LABEL_CREATE)
            provider_finish(c, VERDICT_NONE, "Linear answered the new label without its id");
        else
            provider_next(c, c->state.step == LINK_TEAM ? LINK_LABEL : LINK_LABEL_CREATE);
    } else if (next < (json_int_t)json_array_size(issues)) {
        provider_next(c, LINK_ISSUE);
    } else {
        json_object_set(c->output, "linked", json_object_get(c->state.data, "linked"));
        json_object_set(c->output, "missing", json_object_get(c->state.data, "missing"));
        provider_finish(c, VERDICT_VALID, "%s on %zu issues", label, json_array_size(json_object_get(c->state.data, "linked")));
    }
    json_decref(whole);
    json_decref(issues);
}

static const struct provider_ops ops = {.verify = verify,
                                        .ticket_open = ticket_open,
                                        .ticket_comment = ticket_comment,
                                        .ticket_close = ticket_close,
                                        .tickets_link = tickets_link};

struct provider linear_provider = {
    .type = "LINEAR",
    .kind = "linear",
    .display = "Linear",
    .category = CAT_TICKETS,
    FIELDS(fields),
    .base_url = &api,
    .caps = CAP_VERIFY | CAP_TICKET_OPEN | CAP_TICKET_COMMENT | CAP_TICKET_CLOSE | CAP_TICKETS_LINK,
    .ops = &ops,
};
