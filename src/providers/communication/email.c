/* email.c: e-mail over SMTP (STARTTLS required). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"

static const char *check_emails(json_t *j)
{
    size_t i;
    json_t *v;
    if (json_array_size(j) < 1 || json_array_size(j) > 100)
        return "must list 1 to 100 e-mail addresses";
    json_array_foreach(j, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) > 254 || check_email(v))
            return "must be an array of e-mail addresses";
    }
    return NULL;
}

static const struct field fields[] = {
    ARRAY("emailRecipients", true, check_emails, "emails"), EMAIL("emailFromAddress", true),  TEXT("smtpHost", true, 255),
    INT("smtpPort", false, 1, 65535, .def = "587"),         TEXT("smtpUsername", false, 255), SECRET("smtpPassword", false, 1024),
};

/* An SMTP session to target (smtp://host:port): a login check, or with sendTest a test message to the recipients. */
static void session(struct provider_call *c, const char *target, const char *userpwd)
{
    bool send = provider_input_true(c, "sendTest");
    const char *rcpt[101] = {NULL};
    json_t *list = json_object_get(c->config, "emailRecipients"), *r;
    char from[300], message[1024];
    size_t i;

    snprintf(from, sizeof from, "<%s>", provider_text(c, "emailFromAddress"));
    json_array_foreach(list, i, r) if (i < 100) rcpt[i] = json_string_value(r);
    snprintf(message, sizeof message,
             "From: %s\r\nTo: %s\r\nSubject: slipway: test message\r\n\r\nslipway can send release notifications from "
             "this address.\r\n",
             provider_text(c, "emailFromAddress"), rcpt[0] ? rcpt[0] : "");
    struct outbound_call call = {.method = "SMTP",
                                 .url = target,
                                 .userpwd = userpwd,
                                 .mail_from = send ? from : NULL,
                                 .mail_rcpt = send ? rcpt : NULL,
                                 .body = send ? message : NULL,
                                 .body_len = send ? strlen(message) : 0};
    provider_submit(c, &call);
}

/* STARTTLS and the login, ending with NOOP (or a test message with sendTest). */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    char target[PROVIDER_URL_MAX], userpwd[PROVIDER_AUTH_MAX] = "";
    json_int_t port = json_integer_value(json_object_get(c->config, "smtpPort"));

    if (!res) {
        snprintf(target, sizeof target, "smtp://%s:%lld", provider_text(c, "smtpHost"), (long long)(port ? port : 587));
        if (*provider_text(c, "smtpUsername"))
            snprintf(userpwd, sizeof userpwd, "%s:%s", provider_text(c, "smtpUsername"), provider_text(c, "smtpPassword"));
        session(c, target, userpwd[0] ? userpwd : NULL);
        provider_wipe(userpwd);
        return;
    }
    if (res->failure == OUTBOUND_OK)
        provider_finish(c, VERDICT_VALID,
                        provider_input_true(c, "sendTest")
                            ? "the mail server accepted the login and a test message"
                            : "the mail server accepted STARTTLS and the login; no message was sent");
    else if (res->failure == OUTBOUND_LOGIN)
        provider_finish(c, VERDICT_INVALID, "the mail server refused the user name or password");
    else if (res->failure == OUTBOUND_NO_STARTTLS)
        provider_finish(c, VERDICT_INVALID,
                        "the mail server does not offer STARTTLS: slipway only sends mail over an encrypted connection");
    else
        provider_unanswered(c, res);
}

static const struct provider_ops ops = {.verify = verify};

struct provider email_provider = {
    .type = "EMAIL",
    .kind = "email",
    .display = "E-mail",
    .category = CAT_COMMUNICATION,
    FIELDS(fields),
    .caps = CAP_VERIFY,
    .ops = &ops,
};
