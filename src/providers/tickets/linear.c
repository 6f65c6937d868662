/* linear.c: Linear (GraphQL, an API key). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"

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

static const struct provider_ops ops = {.verify = verify};

struct provider linear_provider = {
    .type = "LINEAR",
    .kind = "linear",
    .display = "Linear",
    .category = CAT_TICKETS,
    FIELDS(fields),
    .base_url = &api,
    .caps = CAP_VERIFY,
    .ops = &ops,
};
