/* email.c: e-mail over SMTP (STARTTLS required). docs/verification.md says what verify asks and concludes. */
#include <ctype.h>
#include <time.h>

#include "core/buf.h"
#include "core/encode.h"
#include "core/rand.h"
#include "core/xmalloc.h"
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

/*
 * An SMTP session to the configured server (smtp://host:port, STARTTLS, AUTH
 * as smtpUsername when there is one): message (len bytes) from
 * emailFromAddress to every recipient, or with message NULL a login check
 * that ends with NOOP.
 */
static void session(struct provider_call *c, const char *message, size_t len)
{
    const char *rcpt[101] = {NULL};
    json_t *list = json_object_get(c->config, "emailRecipients"), *r;
    json_int_t port = json_integer_value(json_object_get(c->config, "smtpPort"));
    char target[PROVIDER_URL_MAX], userpwd[PROVIDER_AUTH_MAX] = "", from[300];
    size_t i;

    if (*provider_text(c, "smtpUrl")) /* the instance's own mail (src/mail/): SLIPWAY_SMTP_URL, smtp:// or smtps:// */
        snprintf(target, sizeof target, "%s", provider_text(c, "smtpUrl"));
    else
        snprintf(target, sizeof target, "smtp://%s:%lld", provider_text(c, "smtpHost"), (long long)(port ? port : 587));
    if (*provider_text(c, "smtpUsername"))
        snprintf(userpwd, sizeof userpwd, "%s:%s", provider_text(c, "smtpUsername"), provider_text(c, "smtpPassword"));
    snprintf(from, sizeof from, "<%s>", provider_text(c, "emailFromAddress"));
    json_array_foreach(list, i, r) if (i < 100) rcpt[i] = json_string_value(r);
    provider_submit(c, &(struct outbound_call){.method = "SMTP",
                                               .url = target,
                                               .userpwd = userpwd[0] ? userpwd : NULL,
                                               .mail_from = message ? from : NULL,
                                               .mail_rcpt = message ? rcpt : NULL,
                                               .body = message,
                                               .body_len = len});
    provider_wipe(userpwd);
}

/* The session's end: ok when the server took everything; a refused login or no STARTTLS INVALID; no answer NONE. */
static void session_end(struct provider_call *c, const struct outbound_response *res, const char *ok)
{
    if (res->failure == OUTBOUND_OK)
        provider_finish(c, VERDICT_VALID, "%s", ok);
    else if (res->failure == OUTBOUND_LOGIN)
        provider_finish(c, VERDICT_INVALID, "the mail server refused the user name or password");
    else if (res->failure == OUTBOUND_NO_STARTTLS)
        provider_finish(c, VERDICT_INVALID,
                        "the mail server does not offer STARTTLS: slipway only sends mail over an encrypted connection");
    else
        provider_unanswered(c, res);
}

/* STARTTLS and the login, ending with NOOP (or a test message with sendTest). */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    bool send = provider_input_true(c, "sendTest");
    json_t *first = json_array_get(json_object_get(c->config, "emailRecipients"), 0);
    char message[1024];

    if (!res) {
        snprintf(message, sizeof message,
                 "From: %s\r\nTo: %s\r\nSubject: slipway: test message\r\n\r\nslipway can send release notifications from "
                 "this address.\r\n",
                 provider_text(c, "emailFromAddress"), first ? json_string_value(first) : "");
        session(c, send ? message : NULL, send ? strlen(message) : 0);
        return;
    }
    session_end(c, res,
                send ? "the mail server accepted the login and a test message"
                     : "the mail server accepted STARTTLS and the login; no message was sent");
}

/* ---- sending a notification ---- */

/* A string of the op's input, "" when absent. */
static const char *input_text(const struct provider_call *c, const char *key)
{
    const char *v = json_string_value(json_object_get(c->input, key));
    return v ? v : "";
}

/* A message's cap: the parts are a notification's few kilobytes each, base64 adds a third. */
#define EMAIL_MESSAGE_MAX (256 * 1024)

/* A part's text as base64 in lines of 76 characters (RFC 2045). */
static void append_base64(struct buf *b, const char *text)
{
    char line[B64_LEN(57) + 1];

    for (size_t n = strlen(text), i = 0; i < n; i += 57) {
        b64_encode(text + i, n - i < 57 ? n - i : 57, line);
        buf_printf(b, "%s\r\n", line);
    }
}

/* A header's text: as is when printable ASCII, else one RFC 2047 encoded word (no CR or LF gets through either way). */
static void append_header_text(struct buf *b, const char *text)
{
    bool plain = true;
    char *enc;

    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        plain &= *p >= 0x20 && *p < 0x7f;
    if (plain) {
        buf_appends(b, text);
        return;
    }
    enc = xmalloc(B64_LEN(strlen(text)) + 1);
    b64_encode(text, strlen(text), enc);
    buf_printf(b, "=?UTF-8?B?%s?=", enc);
    free(enc);
}

/*
 * The message: From, To (every recipient), Subject, Date, Message-ID
 * (msgid), and multipart/alternative of the text and the HTML, each base64
 * in UTF-8. -1 when it does not fit EMAIL_MESSAGE_MAX.
 */
static int message_build(const struct provider_call *c, const char *msgid, struct buf *b)
{
    const char *html = input_text(c, "html"), *text = input_text(c, "text"), *subject = input_text(c, "subject");
    json_t *list = json_object_get(c->config, "emailRecipients"), *r;
    char boundary[UUID_SIZE], date[64];
    time_t now = time(NULL);
    struct tm tm;
    size_t i;

    rand_uuid(boundary);
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    buf_printf(b, "From: %s\r\nTo: ", provider_text(c, "emailFromAddress"));
    json_array_foreach(list, i, r) buf_printf(b, "%s%s", i ? ", " : "", json_string_value(r));
    buf_appends(b, "\r\nSubject: ");
    append_header_text(b, *subject ? subject : "slipway");
    buf_printf(b,
               "\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
               "Content-Type: multipart/alternative; boundary=\"=_slipway_%s\"\r\n\r\n"
               "--=_slipway_%s\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
               date, msgid, boundary, boundary);
    append_base64(b, text);
    if (*html) {
        buf_printf(b, "--=_slipway_%s\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                   boundary);
        append_base64(b, html);
    }
    return buf_printf(b, "--=_slipway_%s--\r\n", boundary);
}

/*
 * Input {"subject", "text", "html"?}: one message, multipart/alternative of
 * the text and the HTML, to every recipient, over STARTTLS and AUTH; output
 * {"messageId": its Message-ID}. The Message-ID comes from the step's
 * idempotency key, so a message sent again after a crash is the same
 * message to the recipients' mail programs.
 */
static void chat_post(struct provider_call *c, const struct outbound_response *res)
{
    const char *key = input_text(c, "idempotencyKey"), *domain = strrchr(provider_text(c, "emailFromAddress"), '@');
    char msgid[160], local[100];
    struct buf b;
    size_t n = 0;

    if (!res) {
        for (const char *p = key; *p && n + 1 < sizeof local; p++) /* the key's letters and digits: a dot-atom */
            local[n++] = isalnum((unsigned char)*p) || *p == '-' ? *p : '.';
        local[n] = '\0';
        if (!n)
            rand_uuid(local);
        snprintf(msgid, sizeof msgid, "<%s%s>", local, domain ? domain : "@slipway.invalid");
        json_object_set_new(c->output, "messageId", json_string(msgid));
        buf_init(&b, EMAIL_MESSAGE_MAX);
        if (message_build(c, msgid, &b) < 0)
            provider_finish(c, VERDICT_INVALID, "the message is larger than %d bytes", EMAIL_MESSAGE_MAX);
        else
            session(c, b.data, b.len);
        buf_free(&b);
        return;
    }
    session_end(c, res, "the mail server took the message");
}

static const struct provider_ops ops = {.verify = verify, .chat_post = chat_post};

struct provider email_provider = {
    .type = "EMAIL",
    .kind = "email",
    .display = "E-mail",
    .category = CAT_COMMUNICATION,
    FIELDS(fields),
    .caps = CAP_VERIFY | CAP_CHAT_POST,
    .ops = &ops,
};
