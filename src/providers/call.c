#include "providers/call.h"

#include <stdarg.h>

#include "core/encode.h"
#include "core/log.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "jobs/jobs.h"

enum err_code provider_loop_start(struct provider_loop *loop, const struct config *cfg, struct err *err)
{
    struct outbound_options o = {.ca_bundle = cfg->ca_bundle, .allow = cfg->outbound_allow, .max_response = 4u << 20};

    *loop = (struct provider_loop){.timeout_ms = cfg->outbound_timeout, .submit = outbound_submit};
    loop->out = outbound_start(&o, err);
    return loop->out ? ERR_OK : err->code;
}

void provider_loop_stop(struct provider_loop *loop)
{
    outbound_stop(loop->out);
    loop->out = NULL;
}

struct provider_call *provider_call_new(const struct provider_loop *loop, const struct provider *p, provider_step_fn op,
                                        json_t *config, json_t *scm, json_t *input,
                                        void (*done)(struct provider_call *c, void *ctx), void *ctx)
{
    struct provider_call *c = xcalloc(1, sizeof *c);

    c->loop = loop;
    c->prov = p;
    c->op = op;
    c->config = config;
    c->scm = scm;
    c->input = input ? input : json_object();
    c->state.data = json_object();
    c->state.secrets = json_object();
    c->output = json_object();
    c->done = done;
    c->ctx = ctx;
    return c;
}

void provider_call_run(struct provider_call *c)
{
    c->op(c, NULL);
}

static void wipe_and_release(json_t *v)
{
    secret_wipe_json(v);
    json_decref(v);
}

void provider_call_free(struct provider_call *c)
{
    if (!c)
        return;
    wipe_and_release(c->config);
    wipe_and_release(c->scm);
    wipe_and_release(c->state.secrets);
    json_decref(c->input);
    json_decref(c->state.data);
    json_decref(c->output);
    free(c);
}

json_t *provider_state_save(const struct provider_state *s)
{
    return json_pack("{s:i, s:o, s:o}", "step", s->step, "data", json_deep_copy(s->data), "secrets", json_deep_copy(s->secrets));
}

enum err_code provider_state_load(struct provider_call *c, const json_t *saved, struct err *err)
{
    json_t *step = json_object_get(saved, "step"), *data = json_object_get(saved, "data");
    json_t *secrets = json_object_get(saved, "secrets");

    if (!json_is_integer(step) || json_integer_value(step) < 0 || json_integer_value(step) > 1000 || !json_is_object(data) ||
        !json_is_object(secrets))
        return err_set(err, ERR_INVALID, "not a saved provider state");
    c->state.step = (int)json_integer_value(step);
    json_decref(c->state.data);
    wipe_and_release(c->state.secrets);
    c->state.data = json_deep_copy(data);
    c->state.secrets = json_deep_copy(secrets);
    return ERR_OK;
}

/* ---- what steps read ---- */

static const char *text_of(const json_t *obj, const char *field)
{
    const char *s = json_string_value(json_object_get(obj, field));
    return s ? s : "";
}

const char *provider_text(const struct provider_call *c, const char *field)
{
    return text_of(c->config, field);
}

const char *provider_scm_text(const struct provider_call *c, const char *field)
{
    return text_of(c->scm, field);
}

bool provider_input_true(const struct provider_call *c, const char *field)
{
    return json_is_true(json_object_get(c->input, field));
}

const char *provider_data_text(const struct provider_call *c, const char *key)
{
    return text_of(c->state.data, key);
}

json_int_t provider_data_int(const struct provider_call *c, const char *key)
{
    return json_integer_value(json_object_get(c->state.data, key));
}

const char *provider_secret_text(const struct provider_call *c, const char *key)
{
    return text_of(c->state.secrets, key);
}

/* ---- the driver ---- */

static void on_answer(const struct outbound_response *res, void *ctx)
{
    struct provider_call *c = ctx;
    c->op(c, res);
}

void provider_submit(struct provider_call *c, struct outbound_call *call)
{
    struct err err;

    call->timeout_ms = c->prov->timeout ? c->prov->timeout->number : c->loop->timeout_ms;
    call->label = c->prov->type; /* /metrics counts calls by provider */
    call->done = on_answer;
    call->ctx = c;
    err_clear(&err);
    if (c->loop->submit(c->loop->out, call, &err))
        provider_finish(c, VERDICT_NONE, "%s", err.message);
}

void provider_request(struct provider_call *c, const char *method, const char *url, const char *const *headers, const char *body,
                      const char *userpwd)
{
    struct outbound_call call = {
        .method = method, .url = url, .headers = headers, .body = body, .body_len = body ? strlen(body) : 0, .userpwd = userpwd};
    provider_submit(c, &call);
}

/* ---- a call as a step of a job ---- */

#define JOB_CALL "call" /* a job keeps its call's state in data.call and secrets.call */

static void call_free(void *c)
{
    provider_call_free(c);
}

static void job_forget_call(struct job *j)
{
    secret_wipe_json(json_object_get(j->secrets, JOB_CALL));
    json_object_del(j->secrets, JOB_CALL);
    json_object_del(j->data, JOB_CALL);
}

/* The call ended: the job's step runs again, with the call. */
static void job_call_done(struct provider_call *c, void *ctx)
{
    struct job *j = ctx;
    job_forget_call(j);
    job_attach(j, c, call_free);
    job_resume(j);
}

/* The job's row has the call's state: on to the step's request. */
static void job_call_saved(void *arg, bool saved)
{
    struct provider_call *c = arg;
    if (saved)
        c->op(c, NULL);
    else /* the job is another process's now, or this one is stopping: it goes on where it was saved */
        provider_finish(c, VERDICT_NONE, "%s: the call stopped before its end; it is resumed where it was", c->prov->display);
}

void provider_call_in_job(struct provider_call *c, struct job *j)
{
    json_t *saved = json_object_get(j->data, JOB_CALL);
    char key[JOB_KEY_SIZE];
    struct err err;

    c->job = j;
    c->done = job_call_done;
    c->ctx = j;
    if (saved) {
        json_t *secrets = json_object_get(j->secrets, JOB_CALL), *state;
        state = json_pack("{s:O, s:O, s:o}", "step", json_object_get(saved, "step"), "data", json_object_get(saved, "data"),
                          "secrets", secrets ? json_incref(secrets) : json_object());
        err_clear(&err);
        if (!state || provider_state_load(c, state, &err))
            log_warn("provider %s: job %s kept a call state that cannot be read; the call starts over", c->prov->type, j->id);
        json_decref(state);
    }
    job_key(j, key);
    if (!json_object_get(c->input, "idempotencyKey"))
        json_object_set_new(c->input, "idempotencyKey", json_string(key));
    job_park(j);
    provider_call_run(c);
}

struct provider_call *provider_call_of(const struct job *j)
{
    return job_attached(j);
}

void provider_next(struct provider_call *c, int step)
{
    c->state.step = step;
    if (!c->job) {
        c->op(c, NULL);
        return;
    }
    /* Saved in the job's row first: a crash from here on resumes at this step. */
    json_object_set_new(c->job->data, JOB_CALL, json_pack("{s:i, s:o}", "step", step, "data", json_deep_copy(c->state.data)));
    secret_wipe_json(json_object_get(c->job->secrets, JOB_CALL));
    if (json_object_size(c->state.secrets) > 0)
        json_object_set_new(c->job->secrets, JOB_CALL, json_deep_copy(c->state.secrets));
    else
        json_object_del(c->job->secrets, JOB_CALL);
    job_checkpoint(c->job, job_call_saved, c);
}

void provider_finish(struct provider_call *c, enum verdict verdict, const char *fmt, ...)
{
    va_list ap;
    c->verdict = verdict;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof c->message, fmt, ap);
    va_end(ap);
    utf8_scrub(c->message); /* names from the configuration may be cut mid-character: the message is stored and sent as JSON */
    c->done(c, c->ctx);
}

/* The first string of j at one of these places, or NULL: where providers put the text of an error. */
static const char *answer_text(json_t *j)
{
    static const char *const paths[][2] = {{"message", NULL},      {"error_description", NULL}, {"error", NULL},
                                           {"error", "message"},   {"errors", "detail"},        {"errors", "message"},
                                           {"errorMessages", NULL}};
    for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
        json_t *at = json_object_get(j, paths[i][0]);
        if (json_is_array(at))
            at = json_array_get(at, 0);
        if (paths[i][1])
            at = json_object_get(at, paths[i][1]);
        if (json_is_string(at) && json_string_length(at) > 0)
            return json_string_value(at);
    }
    return NULL;
}

/* Whether text holds a secret of the configuration or one obtained on the way (4 characters or more). */
static bool holds_secret(const struct provider_call *c, const char *text)
{
    const char *key;
    json_t *v;

    for (size_t i = 0; i < c->prov->schema.count; i++) {
        const char *s = json_string_value(json_object_get(c->config, c->prov->schema.fields[i].name));
        if (c->prov->schema.fields[i].secret && s && strlen(s) >= 4 && strstr(text, s))
            return true;
    }
    json_object_foreach(c->state.secrets, key, v)
    {
        const char *s = json_string_value(v);
        if (s && strlen(s) >= 4 && strstr(text, s))
            return true;
    }
    return false;
}

/*
 * Notes in the output's "cause" why the provider refused (res is an HTTP
 * answer): its status and the first line of its own error text, unless that
 * holds a secret.
 */
static void note_answer(struct provider_call *c, const struct outbound_response *res)
{
    json_t *j = json_loadb(res->body, res->len, 0, NULL);
    const char *said = answer_text(j);
    char cause[200], line[160] = "";
    size_t n;

    if (!said && res->len > 0 && res->len < sizeof line && !memchr(res->body, '<', res->len))
        said = res->body; /* a short answer in plain text (not an HTML error page) */
    if (said) {
        n = strcspn(said, "\r\n");
        utf8_copy(line, n < sizeof line ? n + 1 : sizeof line, said);
    }
    if (line[0] && !holds_secret(c, line))
        snprintf(cause, sizeof cause, "%s answered %ld: %s", c->prov->display, res->status, line);
    else
        snprintf(cause, sizeof cause, "%s answered %ld", c->prov->display, res->status);
    utf8_scrub(cause);
    json_object_set_new(c->output, "cause", json_string(cause));
    json_decref(j);
}

bool provider_unanswered(struct provider_call *c, const struct outbound_response *res)
{
    const char *name = c->prov->display;

    if (res->failure != OUTBOUND_OK) {
        json_object_set_new(c->output, "cause", json_string(res->cause));
        /* The integration by type and id, never its address: a webhook's URL is its secret. */
        const char *id = json_string_value(json_object_get(c->input, "integrationId"));
        log_warn("provider %s %s: %s", c->prov->type, id ? id : "(a configuration, not stored)", res->error);
        switch (res->failure) {
        case OUTBOUND_TIMEOUT:
            provider_finish(c, VERDICT_NONE, "%s did not answer in time; the status is unchanged, try again later", name);
            break;
        case OUTBOUND_BLOCKED:
            provider_finish(c, VERDICT_NONE,
                            "the %s address resolves to a private, loopback or link-local address, which slipway may not call "
                            "(an operator can allow it with SLIPWAY_OUTBOUND_ALLOW)",
                            name);
            break;
        case OUTBOUND_TLS:
            provider_finish(c, VERDICT_NONE, "the TLS certificate of %s could not be verified", name);
            break;
        default:
            provider_finish(c, VERDICT_NONE, "%s could not be reached; the status is unchanged, try again later", name);
            break;
        }
        return true;
    }
    if (res->status >= 500 || res->status == 429) {
        note_answer(c, res);
        provider_finish(c, VERDICT_NONE, "%s answered %ld (a problem on its side); the status is unchanged, try again later", name,
                        res->status);
        return true;
    }
    return false;
}

bool provider_failed(struct provider_call *c, const struct outbound_response *res, const char *unauthorized, const char *missing)
{
    if (provider_unanswered(c, res))
        return true;
    if (res->status >= 200 && res->status < 300)
        return false;
    note_answer(c, res);
    if (res->status == 401)
        provider_finish(c, VERDICT_INVALID, "%s", unauthorized);
    else if (res->status == 403)
        provider_finish(c, VERDICT_INVALID, "%s (the provider answered 403: not allowed)", unauthorized);
    else if (res->status == 404)
        provider_finish(c, VERDICT_INVALID, "%s", missing);
    else
        provider_finish(c, VERDICT_INVALID, "%s answered %ld to slipway's check", c->prov->display, res->status);
    return true;
}

json_t *provider_answer_json(struct provider_call *c, const struct outbound_response *res)
{
    json_t *j = json_loadb(res->body, res->len, 0, NULL);
    if (!j) /* the provider misbehaves, which proves nothing about the credential */
        provider_finish(c, VERDICT_NONE, "%s answered something that is not JSON; the status is unchanged, try again later",
                        c->prov->display);
    return j;
}

/* ---- building requests ---- */

char *provider_url(char *out, const char *base, const char *fmt, ...)
{
    size_t n = strlen(base);
    va_list ap;
    while (n > 0 && base[n - 1] == '/')
        n--;
    snprintf(out, PROVIDER_URL_MAX, "%.*s", (int)n, base);
    va_start(ap, fmt);
    vsnprintf(out + strlen(out), PROVIDER_URL_MAX - strlen(out), fmt, ap);
    va_end(ap);
    return out;
}

const char *provider_escape(const char *s, char *buf, size_t n)
{
    return url_escape(s, buf, n) ? buf : "";
}

void provider_header(char *out, const char *name, const char *prefix, const char *value)
{
    snprintf(out, PROVIDER_AUTH_MAX, "%s: %s%s", name, prefix, value);
}

void provider_wipe(char *s)
{
    hash_cleanse(s, strlen(s));
}

void provider_send_with_token(struct provider_call *c, const char *method, const char *base, const char *path, const char *name,
                              const char *prefix, const char *token, const char *const *extra, const char *body)
{
    char auth[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX];
    const char *headers[5] = {auth, NULL, NULL, NULL, NULL};
    int n = 1;

    for (int i = 0; extra && extra[i] && i < 2; i++)
        headers[n++] = extra[i];
    if (body)
        headers[n] = "Content-Type: application/json";
    provider_header(auth, name, prefix, token);
    provider_request(c, method, provider_url(target, base, "%s", path), headers, body, NULL);
    provider_wipe(auth);
}

void provider_get_with_token(struct provider_call *c, const char *base, const char *path, const char *name, const char *prefix,
                             const char *token, const char *const *extra)
{
    provider_send_with_token(c, "GET", base, path, name, prefix, token, extra, NULL);
}
