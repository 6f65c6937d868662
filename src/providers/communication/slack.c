/* slack.c: Slack (the Web API with a bot token, or an incoming webhook). docs/verification.md says what verify asks and concludes.
 */
#include "providers/call.h"
#include "outbound/url.h"
#include "providers/fields.h"

static struct provider_setting api = {
    .env = "SLIPWAY_SLACK_API_URL", .def = "https://slack.com/api", .help = "Slack's Web API", .kind = SETTING_TEXT};
static struct provider_setting hooks = {.env = "SLIPWAY_SLACK_WEBHOOK_HOSTS",
                                        .def = "hooks.slack.com",
                                        .help =
                                            "hosts a Slack webhook URL may name (comma-separated; .example.com: any name under it)",
                                        .kind = SETTING_TEXT};
static struct provider_setting *const settings[] = {&hooks, NULL};

static const char *check_channels(json_t *j)
{
    size_t i;
    json_t *v;
    if (json_array_size(j) > 50)
        return "must list at most 50 channels";
    json_array_foreach(j, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) < 1 || json_string_length(v) > 80)
            return "must be an array of channel names or ids (1 to 80 characters each)";
    }
    return NULL;
}

static const struct field fields[] = {
    SECRET("slackBotToken", false, 4096),
    ARRAY("slackChannels", false, check_channels, "channels"),
    SECRET_FMT("slackWebhookUrl", false, 512, check_url, "url"),
};

static void prepare(json_t *c, struct err *err)
{
    if (!json_is_string(json_object_get(c, "slackBotToken")) && !json_is_string(json_object_get(c, "slackWebhookUrl")))
        err_detail(err, "slackBotToken", "or slackWebhookUrl is required");
}

/*
 * A bot token: auth.test, then each configured channel in turn (state
 * "channel": its index; "cursor": the page of conversations.list asked for
 * a name). A webhook alone: its shape, and a test message with sendTest.
 */
enum { AUTH, CHANNEL, WEBHOOK };

static bool channel_id(const char *c)
{
    size_t n = strlen(c);
    if (n < 9 || !strchr("CGD", c[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((c[i] >= 'A' && c[i] <= 'Z') || (c[i] >= '0' && c[i] <= '9')))
            return false;
    return true;
}

/* The channel being checked, without its '#', or NULL when every one is. */
static const char *channel(const struct provider_call *c)
{
    const char *name =
        json_string_value(json_array_get(json_object_get(c->config, "slackChannels"), (size_t)provider_data_int(c, "channel")));
    return name && name[0] == '#' ? name + 1 : name;
}

static void slack_request(struct provider_call *c, const char *method, const char *path)
{
    char auth[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX];
    const char *headers[] = {auth, NULL};
    provider_header(auth, "Authorization", "Bearer ", provider_text(c, "slackBotToken"));
    provider_request(c, method, provider_url(target, api.text, "%s", path), headers, NULL, NULL);
    provider_wipe(auth);
}

static void send(struct provider_call *c)
{
    const char *hook = provider_text(c, "slackWebhookUrl"), *name, *cursor;
    const char *headers[] = {"Content-Type: application/json", NULL};
    char path[PROVIDER_URL_MAX], enc[512], cur[1536];

    switch (c->state.step) {
    case AUTH:
        if (*provider_text(c, "slackBotToken"))
            slack_request(c, "POST", "/auth.test");
        else
            provider_next(c, WEBHOOK);
        return;
    case CHANNEL:
        if (!(name = channel(c))) {
            provider_finish(c, VERDICT_VALID, "Slack accepts the bot token, and the bot is in every configured channel");
            return;
        }
        cursor = provider_data_text(c, "cursor");
        if (channel_id(name))
            snprintf(path, sizeof path, "/conversations.info?channel=%s", provider_escape(name, enc, sizeof enc));
        else
            snprintf(path, sizeof path, "/conversations.list?limit=200&types=public_channel,private_channel%s%s",
                     cursor[0] ? "&cursor=" : "", cursor[0] ? provider_escape(cursor, cur, sizeof cur) : "");
        slack_request(c, "GET", path);
        return;
    default:
        /* As libcurl parses it (outbound/url.h), never by its text: "https://evil#.hooks.slack.com" is evil's. */
        if (!outbound_url_is(hook, "https", hooks.text, "/services/"))
            provider_finish(c, VERDICT_INVALID, "the webhook URL must be https://hooks.slack.com/services/...");
        else if (!provider_input_true(c, "sendTest"))
            provider_finish(c, VERDICT_VALID,
                            "the webhook URL has the right shape; nothing was posted (ask for sendTest to post one)");
        else
            provider_request(c, "POST", hook, headers, "{\"text\":\"slipway: test message\"}", NULL);
        return;
    }
}

/* Whether Slack's answer says the token has scope (X-OAuth-Scopes: "chat:write,users:read.email"). */
static bool has_scope(const struct outbound_response *res, const char *scope)
{
    char scopes[1024];
    size_t n = strlen(scope);

    if (!outbound_header(res, "X-OAuth-Scopes", scopes, sizeof scopes))
        return false;
    for (const char *p = scopes; (p = strstr(p, scope)); p += n)
        if ((p == scopes || p[-1] == ',' || p[-1] == ' ') && (p[n] == '\0' || p[n] == ','))
            return true;
    return false;
}

/* auth.test's answer; details say whether approvers can be mentioned (users:read.email: docs/notifications.md). */
static void authenticated(struct provider_call *c, const struct outbound_response *res)
{
    json_t *j;

    if (provider_failed(c, res, "Slack rejected the bot token", "Slack answered 404 for auth.test") ||
        !(j = provider_answer_json(c, res)))
        return;
    if (!json_is_true(json_object_get(j, "ok"))) {
        const char *error = json_string_value(json_object_get(j, "error"));
        if (error && strcmp(error, "token_expired") == 0)
            provider_finish(c, VERDICT_EXPIRED, "the Slack bot token has expired: reinstall the app or rotate the token");
        else
            provider_finish(c, VERDICT_INVALID, "Slack rejected the bot token (%s)", error ? error : "no reason");
        json_decref(j);
        return;
    }
    json_object_set(c->output, "team", json_object_get(j, "team"));
    json_object_set(c->output, "botUser", json_object_get(j, "user"));
    json_object_set_new(c->output, "mentionsApprovers", json_boolean(has_scope(res, "users:read.email")));
    json_decref(j);
    provider_next(c, CHANNEL);
}

/* One channel answer: the next page, the next channel, or the end. */
static void channel_answer(struct provider_call *c, const struct outbound_response *res)
{
    const char *name = channel(c), *cursor;
    json_t *j, *ch = NULL, *list;
    size_t i;

    if (provider_failed(c, res, "Slack rejected the bot token", "Slack answered 404") || !(j = provider_answer_json(c, res)))
        return;
    if (!json_is_true(json_object_get(j, "ok"))) {
        const char *error = json_string_value(json_object_get(j, "error"));
        if (error && strcmp(error, "channel_not_found") == 0)
            provider_finish(c, VERDICT_INVALID, "channel %s not found (or it is private and the bot is not in it)", name);
        else
            provider_finish(c, VERDICT_INVALID, "Slack refused to describe channel %s (%s): the bot needs channels:read", name,
                            error ? error : "no reason");
        json_decref(j);
        return;
    }
    if (channel_id(name)) {
        ch = json_object_get(j, "channel");
    } else {
        list = json_object_get(j, "channels");
        json_array_foreach(list, i, ch) if (json_is_string(json_object_get(ch, "name")) &&
                                            strcmp(json_string_value(json_object_get(ch, "name")), name) == 0) break;
        if (i == json_array_size(list))
            ch = NULL;
        cursor = json_string_value(json_object_get(json_object_get(j, "response_metadata"), "next_cursor"));
        if (!ch && cursor && *cursor && strlen(cursor) < 512) {
            json_object_set_new(c->state.data, "cursor", json_string(cursor));
            json_decref(j);
            provider_next(c, CHANNEL); /* the next page */
            return;
        }
    }
    if (!ch && !channel_id(name))
        provider_finish(c, VERDICT_INVALID, "channel #%s not found in this workspace (or the bot cannot see it)", name);
    else if (!json_is_true(json_object_get(ch, "is_member"))) {
        provider_finish(c, VERDICT_INVALID, "the bot is not in #%s: /invite it to the channel so it can post", name);
    } else {
        json_object_set_new(c->state.data, "channel", json_integer(provider_data_int(c, "channel") + 1));
        json_object_del(c->state.data, "cursor");
        json_decref(j);
        provider_next(c, CHANNEL);
        return;
    }
    json_decref(j);
}

static void verify(struct provider_call *c, const struct outbound_response *res)
{
    if (!res)
        send(c);
    else if (c->state.step == AUTH)
        authenticated(c, res);
    else if (c->state.step == CHANNEL)
        channel_answer(c, res);
    else if (!provider_failed(c, res, "Slack rejected the webhook", "the webhook no longer exists (404): create a new one"))
        provider_finish(c, VERDICT_VALID, "Slack accepted a test message on the webhook");
}

/* ---- chat (the Web API; a webhook alone cannot thread or update) ---- */

/*
 * A 429's Retry-After (seconds, 1 to 3600) goes to the output as
 * "retryAfter" and the call ends without a verdict; true then. Slack's
 * other refusals are {"ok": false} at 200: a verdict (INVALID) naming the
 * error, except its own failures (fatal_error, internal_error), which are
 * worth a retry, and absent (NULL: none), the error that says the thing
 * asked for does not exist: VALID, with nothing in the output.
 */
static bool chat_refused(struct provider_call *c, const struct outbound_response *res, json_t **answer, const char *absent)
{
    char wait[32];
    const char *error;

    *answer = NULL;
    if (res->status == 429) {
        long s = outbound_header(res, "Retry-After", wait, sizeof wait) ? strtol(wait, NULL, 10) : 0;
        json_object_set_new(c->output, "retryAfter", json_integer(s <= 0 ? 30 : s > 3600 ? 3600 : s)); /* absent: 30 s */
        provider_finish(c, VERDICT_NONE, "Slack is rate limiting (429)");
        return true;
    }
    if (provider_failed(c, res, "Slack rejected the bot token", "Slack answered 404") || !(*answer = provider_answer_json(c, res)))
        return true;
    if (json_is_true(json_object_get(*answer, "ok")))
        return false;
    error = json_string_value(json_object_get(*answer, "error"));
    if (error && absent && strcmp(error, absent) == 0)
        provider_finish(c, VERDICT_VALID, "Slack has none (%s)", absent);
    else if (error &&
             (strcmp(error, "fatal_error") == 0 || strcmp(error, "internal_error") == 0 || strcmp(error, "ratelimited") == 0))
        provider_finish(c, VERDICT_NONE, "Slack failed (%s)", error);
    else
        provider_finish(c, VERDICT_INVALID, "Slack refused (%.100s)", error ? error : "no reason");
    json_decref(*answer);
    *answer = NULL;
    return true;
}

static const char *input_text(const struct provider_call *c, const char *key)
{
    const char *v = json_string_value(json_object_get(c->input, key));
    return v ? v : "";
}

/* chat.postMessage or chat.update with the input's channel, text, blocks, and thread or message id. */
static void chat_send(struct provider_call *c, const char *method)
{
    const char *headers[] = {NULL, "Content-Type: application/json; charset=utf-8", NULL};
    char auth[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX], *body;
    const char *thread = input_text(c, "threadId"), *message = input_text(c, "messageId");
    json_t *msg;

    if (!*provider_text(c, "slackBotToken")) {
        provider_finish(c, VERDICT_INVALID, "posting in a thread needs a bot token (slackBotToken), not a webhook alone");
        return;
    }
    msg = json_pack("{s:s, s:s}", "channel", input_text(c, "channel"), "text", input_text(c, "text"));
    if (json_object_get(c->input, "blocks"))
        json_object_set(msg, "blocks", json_object_get(c->input, "blocks"));
    if (*thread)
        json_object_set_new(msg, "thread_ts", json_string(thread));
    if (*message)
        json_object_set_new(msg, "ts", json_string(message));
    body = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    provider_header(auth, "Authorization", "Bearer ", provider_text(c, "slackBotToken"));
    headers[0] = auth;
    provider_request(c, "POST", provider_url(target, api.text, "/%s", method), headers, body, NULL);
    provider_wipe(auth);
    free(body);
}

static void chat_answer(struct provider_call *c, const struct outbound_response *res)
{
    json_t *j;

    if (chat_refused(c, res, &j, NULL))
        return;
    json_object_set(c->output, "channel", json_object_get(j, "channel"));
    json_object_set(c->output, "messageId", json_object_get(j, "ts"));
    json_decref(j);
    provider_finish(c, VERDICT_VALID, "Slack took the message");
}

/* Input {"channel", "text", "blocks"?, "threadId"?}: a message, or a reply in the thread of threadId. */
static void chat_post(struct provider_call *c, const struct outbound_response *res)
{
    if (!res)
        chat_send(c, "chat.postMessage");
    else
        chat_answer(c, res);
}

/* Input {"channel" (the id chat_post answered), "messageId", "text", "blocks"?}. */
static void chat_update(struct provider_call *c, const struct outbound_response *res)
{
    if (!res)
        chat_send(c, "chat.update");
    else
        chat_answer(c, res);
}

/*
 * users.lookupByEmail (the bot needs users:read.email). Input {"email"};
 * output {"userId"} of an active user of that address; users_not_found or a
 * deactivated user: VALID without it. missing_scope, like any refusal, is
 * INVALID: the caller names the person instead.
 */
static void chat_user(struct provider_call *c, const struct outbound_response *res)
{
    char path[PROVIDER_URL_MAX], enc[1024];
    const json_t *user;
    json_t *j;

    if (!res) {
        if (!*provider_text(c, "slackBotToken")) {
            provider_finish(c, VERDICT_INVALID, "looking a person up needs a bot token (slackBotToken)");
            return;
        }
        snprintf(path, sizeof path, "/users.lookupByEmail?email=%s", provider_escape(input_text(c, "email"), enc, sizeof enc));
        slack_request(c, "GET", path);
        return;
    }
    if (chat_refused(c, res, &j, "users_not_found"))
        return;
    user = json_object_get(j, "user");
    if (json_is_string(json_object_get(user, "id")) && !json_is_true(json_object_get(user, "deleted")))
        json_object_set(c->output, "userId", json_object_get(user, "id"));
    json_decref(j);
    provider_finish(c, VERDICT_VALID, "Slack looked the address up");
}

static const struct provider_ops ops = {
    .verify = verify, .chat_post = chat_post, .chat_update = chat_update, .chat_user = chat_user};

struct provider slack_provider = {
    .type = "SLACK",
    .kind = "slack",
    .display = "Slack",
    .category = CAT_COMMUNICATION,
    FIELDS(fields),
    .prepare = prepare,
    .flag = "ENABLE_SLACK_INTEGRATION",
    .base_url = &api,
    .settings = settings,
    .caps = CAP_VERIFY | CAP_CHAT_POST | CAP_CHAT_UPDATE | CAP_CHAT_USER,
    .ops = &ops,
};
