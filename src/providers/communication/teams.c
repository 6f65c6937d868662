/* teams.c: Microsoft Teams (an incoming webhook). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "outbound/url.h"
#include "providers/fields.h"

static const struct field fields[] = {
    SECRET_FMT("teamsWebhookUrl", true, 512, check_url, "url"),
    TEXT("teamsChannelId", false, 255),
};

static struct provider_setting hooks = {.env = "SLIPWAY_TEAMS_WEBHOOK_HOSTS",
                                        .def = ".webhook.office.com,.logic.azure.com,.environment.api.powerplatform.com",
                                        .help =
                                            "hosts a Teams webhook URL may name (comma-separated; .example.com: any name under it)",
                                        .kind = SETTING_TEXT};
static struct provider_setting *const settings[] = {&hooks, NULL};

/* The webhook URL's shape; with sendTest, a test card posted to it. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *hook = provider_text(c, "teamsWebhookUrl");
    const char *headers[] = {"Content-Type: application/json", NULL};

    if (!res) {
        /* As libcurl parses it (outbound/url.h): "https://evil.example#.webhook.office.com/x" is evil.example's. */
        if (!outbound_url_is(hook, "https", hooks.text, "/"))
            provider_finish(c, VERDICT_INVALID,
                            "the webhook URL must be https on an Office 365 or Power Automate host (*.webhook.office.com, "
                            "*.logic.azure.com or *.environment.api.powerplatform.com)");
        else if (!provider_input_true(c, "sendTest"))
            provider_finish(c, VERDICT_VALID,
                            "the webhook URL has the right shape; nothing was posted (ask for sendTest to post a card)");
        else
            provider_request(c, "POST", hook, headers,
                             "{\"@type\":\"MessageCard\",\"@context\":\"https://schema.org/extensions\",\"summary\":\"slipway\","
                             "\"text\":\"slipway: test card\"}",
                             NULL);
        return;
    }
    if (!provider_failed(c, res, "Teams rejected the webhook", "the webhook no longer exists (404): create a new one"))
        provider_finish(c, VERDICT_VALID, "Teams accepted a test card on the webhook");
}

/*
 * Input {"text", "card"?}: the Adaptive Card (or a plain one of text) as the
 * one attachment of a message, posted to the channel's incoming webhook.
 * A webhook answers nothing to refer to later: no thread, no update.
 */
static void chat_post(struct provider_call *c, const struct outbound_response *res)
{
    const char *headers[] = {"Content-Type: application/json", NULL};
    json_t *card, *msg;
    char *body;

    if (!res) {
        if (!outbound_url_is(provider_text(c, "teamsWebhookUrl"), "https", hooks.text, "/")) {
            provider_finish(c, VERDICT_INVALID, "the webhook URL is not on an allowed Teams host");
            return;
        }
        card = json_object_get(c->input, "card")
                   ? json_incref(json_object_get(c->input, "card"))
                   : json_pack("{s:s, s:s, s:s, s:[{s:s, s:O, s:b}]}", "type", "AdaptiveCard", "$schema",
                               "http://adaptivecards.io/schemas/adaptive-card.json", "version", "1.4", "body", "type", "TextBlock",
                               "text", json_object_get(c->input, "text"), "wrap", 1);
        msg = json_pack("{s:s, s:[{s:s, s:o}]}", "type", "message", "attachments", "contentType",
                        "application/vnd.microsoft.card.adaptive", "content", card);
        body = json_dumps(msg, JSON_COMPACT);
        json_decref(msg);
        provider_request(c, "POST", provider_text(c, "teamsWebhookUrl"), headers, body, NULL);
        free(body);
        return;
    }
    if (!provider_failed(c, res, "Teams rejected the webhook", "the webhook no longer exists (404): create a new one"))
        provider_finish(c, VERDICT_VALID, "Teams took the card");
}

static const struct provider_ops ops = {.verify = verify, .chat_post = chat_post};

struct provider teams_provider = {
    .type = "TEAMS",
    .kind = "teams",
    .display = "Microsoft Teams",
    .category = CAT_COMMUNICATION,
    FIELDS(fields),
    .settings = settings,
    .caps = CAP_VERIFY | CAP_CHAT_POST,
    .ops = &ops,
};
