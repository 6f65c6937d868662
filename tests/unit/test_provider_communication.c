/* Unit tests of the communication providers: Slack's token and channels (with pages), webhooks, Teams, SMTP sessions. */
#include "provider_harness.h"

#define SLACK "{\"slackBotToken\": \"xoxb-1234567890\", \"slackChannels\": [\"#releases\", \"C0123ABCD\"]}"

static void test_slack(void **state)
{
    (void)state;
    harness_start("SLACK", SLACK, NULL, NULL);
    assert_sent(0, "POST", "https://slack.com/api/auth.test");
    assert_true(sent_header(0, "Authorization: Bearer xoxb-1234567890"));
    harness_answer(200, "{\"ok\": true, \"team\": \"Acme\", \"user\": \"releasebot\"}", NULL);
    assert_string_equal(output_text("team"), "Acme");
    assert_string_equal(output_text("botUser"), "releasebot");
    /* A name: the list, page by page. */
    assert_sent(1, "GET", "https://slack.com/api/conversations.list?limit=200&types=public_channel,private_channel");
    harness_answer(
        200, "{\"ok\": true, \"channels\": [{\"name\": \"general\"}], \"response_metadata\": {\"next_cursor\": \"dGVhbTpD=\"}}",
        NULL);
    assert_sent(2, "GET",
                "https://slack.com/api/conversations.list?limit=200&types=public_channel,private_channel&cursor=dGVhbTpD%3D");
    harness_answer(200, "{\"ok\": true, \"channels\": [{\"name\": \"releases\", \"is_member\": true}]}", NULL);
    /* An id: asked directly; the bot must be in it. */
    assert_sent(3, "GET", "https://slack.com/api/conversations.info?channel=C0123ABCD");
    harness_answer(200, "{\"ok\": true, \"channel\": {\"id\": \"C0123ABCD\", \"is_member\": false}}", NULL);
    assert_ended(VERDICT_INVALID, "the bot is not in #C0123ABCD: /invite it");

    harness_start("SLACK", "{\"slackBotToken\": \"xoxb-1234567890\", \"slackChannels\": [\"C0123ABCD\"]}", NULL, NULL);
    harness_answer(200, "{\"ok\": true}", NULL);
    harness_answer(200, "{\"ok\": true, \"channel\": {\"is_member\": true}}", NULL);
    assert_ended(VERDICT_VALID, "the bot is in every configured channel");

    harness_start("SLACK", SLACK, NULL, NULL);
    harness_answer(200, "{\"ok\": false, \"error\": \"token_expired\"}", NULL);
    assert_ended(VERDICT_EXPIRED, "the Slack bot token has expired");

    harness_start("SLACK", SLACK, NULL, NULL);
    harness_answer(200, "{\"ok\": true}", NULL);
    harness_answer(200, "{\"ok\": true, \"channels\": []}", NULL);
    assert_ended(VERDICT_INVALID, "channel #releases not found in this workspace");
}

static void test_slack_webhook(void **state)
{
    (void)state;
    harness_start("SLACK", "{\"slackWebhookUrl\": \"https://hooks.slack.com/services/T0/B0/x\"}", NULL, NULL);
    assert_int_equal(nsent, 0);
    assert_ended(VERDICT_VALID, "nothing was posted");

    harness_start("SLACK", "{\"slackWebhookUrl\": \"https://example.com/hook\"}", NULL, "{\"sendTest\": true}");
    assert_ended(VERDICT_INVALID, "must be https://hooks.slack.com/services/...");

    harness_start("SLACK", "{\"slackWebhookUrl\": \"https://hooks.slack.com/services/T0/B0/x\"}", NULL, "{\"sendTest\": true}");
    assert_sent(0, "POST", "https://hooks.slack.com/services/T0/B0/x");
    assert_string_equal(sent[0].body, "{\"text\":\"slipway: test message\"}");
    harness_answer(200, "ok", NULL);
    assert_ended(VERDICT_VALID, "Slack accepted a test message");
}

static void test_teams(void **state)
{
    (void)state;
    harness_start("TEAMS", "{\"teamsWebhookUrl\": \"https://acme.webhook.office.com/webhookb2/x\"}", NULL, NULL);
    assert_int_equal(nsent, 0);
    assert_ended(VERDICT_VALID, "nothing was posted");

    harness_start("TEAMS", "{\"teamsWebhookUrl\": \"https://webhook.office.com.evil.test/x\"}", NULL, "{\"sendTest\": true}");
    assert_int_equal(nsent, 0);
    assert_ended(VERDICT_INVALID, "Office 365 or Power Automate host");

    harness_start("TEAMS", "{\"teamsWebhookUrl\": \"https://acme.webhook.office.com/webhookb2/x\"}", NULL, "{\"sendTest\": true}");
    assert_sent(0, "POST", "https://acme.webhook.office.com/webhookb2/x");
    assert_true(sent_header(0, "Content-Type: application/json"));
    assert_non_null(strstr(sent[0].body, "\"@type\":\"MessageCard\""));
    harness_answer(404, "", NULL);
    assert_ended(VERDICT_INVALID, "the webhook no longer exists (404)");
}

#define EMAIL                                                                                                                      \
    "{\"smtpHost\": \"mail.acme.test\", \"smtpUsername\": \"relay\", \"smtpPassword\": \"pw-1234567890\", "                        \
    "\"emailFromAddress\": \"releases@acme.test\", \"emailRecipients\": [\"a@acme.test\", \"b@acme.test\"]}"

static void test_email(void **state)
{
    (void)state;
    harness_start("EMAIL", EMAIL, NULL, NULL);
    assert_sent(0, "SMTP", "smtp://mail.acme.test:587");
    assert_string_equal(sent[0].userpwd, "relay:pw-1234567890");
    assert_string_equal(sent[0].mail_from, ""); /* a login check sends nothing */
    assert_false(sent[0].has_body);
    harness_answer(250, "", NULL);
    assert_ended(VERDICT_VALID, "accepted STARTTLS and the login; no message was sent");

    harness_start("EMAIL", EMAIL, NULL, "{\"sendTest\": true}");
    assert_string_equal(sent[0].mail_from, "<releases@acme.test>");
    assert_int_equal(sent[0].nrcpt, 2);
    assert_non_null(strstr(sent[0].body, "Subject: slipway: test message"));
    harness_answer(250, "", NULL);
    assert_ended(VERDICT_VALID, "accepted the login and a test message");

    harness_start("EMAIL", EMAIL, NULL, NULL);
    harness_fail(OUTBOUND_LOGIN);
    assert_ended(VERDICT_INVALID, "refused the user name or password");

    harness_start("EMAIL", EMAIL, NULL, NULL);
    harness_fail(OUTBOUND_NO_STARTTLS);
    assert_ended(VERDICT_INVALID, "does not offer STARTTLS");

    harness_start("EMAIL", EMAIL, NULL, NULL);
    harness_fail(OUTBOUND_NETWORK);
    assert_ended(VERDICT_NONE, "E-mail could not be reached");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slack),
        cmocka_unit_test(test_slack_webhook),
        cmocka_unit_test(test_teams),
        cmocka_unit_test(test_email),
    };
    return cmocka_run_group_tests(tests, NULL, harness_teardown);
}
