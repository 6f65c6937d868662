/*
 * provider_harness.h: runs a provider's op with its requests captured
 * instead of sent, and answers them by hand, so a unit test sees exactly
 * the requests a provider builds and what it makes of each answer.
 *
 * harness_start(type, config, scm, input) starts the verify op (JSON texts;
 * scm and input may be NULL); sent[] then holds each request in order,
 * harness_answer() answers the last one (the op runs at once, as on the
 * outbound loop), and the call's verdict, message and output are there
 * once finished is true. The providers' settings are their defaults.
 */
#ifndef SLIPWAY_TEST_PROVIDER_HARNESS_H
#define SLIPWAY_TEST_PROVIDER_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/encode.h"
#include "providers/call.h"
#include "providers/registry.h"

#define HARNESS_MAX_SENT 16
#define HARNESS_MAX_HEADERS 8

struct sent {
    char method[16], url[PROVIDER_URL_MAX], userpwd[PROVIDER_AUTH_MAX], body[16384], mail_from[300];
    char headers[HARNESS_MAX_HEADERS][PROVIDER_AUTH_MAX];
    int nheaders, nrcpt;
    bool has_body;
    long timeout_ms;
    outbound_done_fn done;
    void *ctx;
};

static struct sent sent[HARNESS_MAX_SENT];
static int nsent;
static bool finished;
static struct provider_call *call;

static inline enum err_code harness_capture(struct outbound *o, const struct outbound_call *c, struct err *err)
{
    struct sent *s = &sent[nsent++];
    (void)o, (void)err;
    assert_true(nsent <= HARNESS_MAX_SENT);
    memset(s, 0, sizeof *s);
    snprintf(s->method, sizeof s->method, "%s", c->method);
    snprintf(s->url, sizeof s->url, "%s", c->url);
    snprintf(s->userpwd, sizeof s->userpwd, "%s", c->userpwd ? c->userpwd : "");
    snprintf(s->mail_from, sizeof s->mail_from, "%s", c->mail_from ? c->mail_from : "");
    for (const char *const *h = c->headers; h && *h && s->nheaders < HARNESS_MAX_HEADERS; h++)
        snprintf(s->headers[s->nheaders++], PROVIDER_AUTH_MAX, "%s", *h);
    for (const char *const *r = c->mail_rcpt; r && *r; r++)
        s->nrcpt++;
    s->has_body = c->body != NULL;
    if (c->body)
        snprintf(s->body, sizeof s->body, "%.*s", (int)c->body_len, c->body);
    s->timeout_ms = c->timeout_ms;
    s->done = c->done;
    s->ctx = c->ctx;
    return ERR_OK;
}

static const struct provider_loop harness_loop = {.timeout_ms = 10000, .submit = harness_capture};

/* The providers' settings at their defaults, read once as slipway does. */
static inline void harness_config(void)
{
    static bool done;
    struct config cfg;
    struct err err;
    size_t n;
    int used;

    if (done)
        return;
    done = true;
    const struct config_external *options = provider_config_options(&n);
    config_register(options, n);
    err_clear(&err);
    assert_int_equal(config_load(&cfg, 0, NULL, &used, &err), ERR_OK);
}

static inline void harness_done(struct provider_call *c, void *ctx)
{
    (void)c, (void)ctx;
    assert_false(finished); /* exactly once */
    finished = true;
}

static inline json_t *harness_json(const char *text)
{
    json_error_t e;
    json_t *j = text ? json_loads(text, 0, &e) : NULL;
    if (text && !j)
        fail_msg("bad test JSON: %s", e.text);
    return j;
}

/* A new call of op (NULL: verify) on the type, not run yet; frees the previous one. */
static inline struct provider_call *harness_call(const char *type, provider_step_fn op, const char *config, const char *scm,
                                                 const char *input)
{
    const struct provider *p;

    harness_config();
    p = provider_by_type(type);
    assert_non_null(p);
    provider_call_free(call);
    nsent = 0;
    finished = false;
    call = provider_call_new(&harness_loop, p, op ? op : p->ops->verify, harness_json(config), harness_json(scm),
                             harness_json(input), harness_done, NULL);
    return call;
}

/* Starts verify on the type. */
static inline struct provider_call *harness_start(const char *type, const char *config, const char *scm, const char *input)
{
    struct provider_call *c = harness_call(type, NULL, config, scm, input);
    provider_call_run(c);
    return c;
}

/* Answers the last request: status, body, and the raw header block ("Name: value\r\n" lines, or NULL). */
static inline void harness_answer(long status, const char *body, const char *headers)
{
    struct outbound_response res = {
        .failure = OUTBOUND_OK, .status = status, .body = body, .len = strlen(body), .headers = headers ? headers : ""};
    assert_true(nsent > 0);
    assert_false(finished);
    sent[nsent - 1].done(&res, sent[nsent - 1].ctx);
}

/* The last request ends without an answer. */
static inline void harness_fail(enum outbound_failure failure)
{
    struct outbound_response res = {.failure = failure, .body = "", .headers = ""};
    snprintf(res.error, sizeof res.error, "test failure %d", (int)failure);
    sent[nsent - 1].done(&res, sent[nsent - 1].ctx);
}

/* Request i was method url. */
static inline void assert_sent(int i, const char *method, const char *url)
{
    assert_true(i < nsent);
    assert_string_equal(sent[i].method, method);
    assert_string_equal(sent[i].url, url);
}

static inline bool sent_header(int i, const char *header)
{
    for (int k = 0; k < sent[i].nheaders; k++)
        if (strcmp(sent[i].headers[k], header) == 0)
            return true;
    return false;
}

/* The value of request i's header name ("" when it has none). */
static inline const char *sent_header_value(int i, const char *name)
{
    size_t n = strlen(name);
    for (int k = 0; k < sent[i].nheaders; k++)
        if (strncmp(sent[i].headers[k], name, n) == 0 && sent[i].headers[k][n] == ':')
            return sent[i].headers[k] + n + 2;
    return "";
}

/* The call ended with verdict, and its message holds part. */
static inline void assert_ended(enum verdict verdict, const char *part)
{
    assert_true(finished);
    if (call->verdict != verdict || !strstr(call->message, part))
        fail_msg("ended %d \"%s\", expected %d with \"%s\"", (int)call->verdict, call->message, (int)verdict, part);
}

static inline const char *output_text(const char *key)
{
    const char *s = json_string_value(json_object_get(call->output, key));
    return s ? s : "";
}

/* The claims of a JWT (caller owns), checking it has three parts. */
static inline json_t *jwt_claims(const char *jwt)
{
    const char *dot1 = strchr(jwt, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    unsigned char buf[4096];
    long n;

    assert_non_null(dot2);
    n = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), buf);
    assert_true(n > 0);
    return json_loadb((const char *)buf, (size_t)n, 0, NULL);
}

static inline int harness_teardown(void **state)
{
    (void)state;
    provider_call_free(call);
    call = NULL;
    return 0;
}

#endif
