/*
 * call.h: a provider call, one resumable step machine, and the one driver
 * that runs every such machine on the outbound loop.
 *
 * A call has an input (the integration's configuration, its SCM
 * connection's, the op's own arguments), a state (a step number and two
 * JSON objects: everything a later step needs) and an output (a verdict, a
 * message, facts). An op is a step function (provider.h): run with no
 * answer, it sends the request of the current step, or ends the call;
 * run with the answer, it reads it, then moves to another step
 * (provider_next, which runs that step's send at once) or ends
 * (provider_finish). So the state between steps is all there is to a call
 * in flight: saved (provider_state_save) at a provider_next, loaded into a
 * fresh call (provider_state_load), and run again, it sends the request of
 * the step it was on, on any process. provider_call_in_job runs a call as
 * a step of a job (jobs/jobs.h), which keeps that state in its row.
 *
 * Threads: the first step runs on the caller's thread, the later ones on
 * the outbound loop's, and must be quick. Once a step has sent a request
 * or ended the call it must not touch the call again: the answer (or the
 * caller's done) may already be running on another thread.
 */
#ifndef SLIPWAY_PROVIDER_CALL_H
#define SLIPWAY_PROVIDER_CALL_H

#include "core/config.h"
#include "providers/provider.h"

/*
 * How a call ended. For verify, the verdict on the credential; for an
 * action, provider.h says what each means. NONE: no answer one can rest on.
 */
enum verdict { VERDICT_NONE, VERDICT_VALID, VERDICT_INVALID, VERDICT_EXPIRED };

/* The process's way to providers: the outbound loop and the default timeout. */
struct provider_loop {
    struct outbound *out;
    long timeout_ms; /* SLIPWAY_OUTBOUND_TIMEOUT: for providers without a timeout of their own */
    /* How a request leaves: outbound_submit (tests capture it instead). */
    enum err_code (*submit)(struct outbound *o, const struct outbound_call *call, struct err *err);
};

/* Starts the outbound loop with cfg's CA bundle, allow-list and timeout. */
enum err_code provider_loop_start(struct provider_loop *loop, const struct config *cfg, struct err *err);
/* Ends every call in flight without an answer (their steps run), and stops the loop. */
void provider_loop_stop(struct provider_loop *loop);

/* All a call needs between steps. */
struct provider_state {
    int step;        /* the op's own numbering; 0 first */
    json_t *data;    /* facts later steps need: a cursor, an edit id, which channel (an object, never a secret) */
    json_t *secrets; /* credentials obtained on the way: an access token, a crumb (an object: wiped when freed) */
};

struct provider_call {
    /* Input: read-only to the steps. */
    const struct provider *prov;
    provider_step_fn op;
    json_t *config; /* the integration's configuration, secrets in plaintext: wiped when freed */
    json_t *scm;    /* for types that act through an SCM connection: its configuration (wiped too), else NULL */
    json_t *input;  /* the op's own arguments (an object) */

    struct provider_state state;

    /* Output: set by provider_finish (output on the way). */
    enum verdict verdict;
    char message[512];
    json_t *output; /* facts for the caller (an object, never a secret) */

    /* The driver's. */
    const struct provider_loop *loop;
    void (*done)(struct provider_call *c, void *ctx); /* exactly once, at provider_finish */
    void *ctx;
    struct job *job; /* the job the call is a step of (provider_call_in_job), or NULL */
};

/*
 * A call of op (one of p->ops) on config and scm (both stolen, scm may be
 * NULL) with input (stolen; NULL is an empty object), at step 0. It does
 * nothing until provider_call_run. Free it with provider_call_free once
 * done has run.
 */
struct provider_call *provider_call_new(const struct provider_loop *loop, const struct provider *p, provider_step_fn op,
                                        json_t *config, json_t *scm, json_t *input,
                                        void (*done)(struct provider_call *c, void *ctx), void *ctx);
/* Runs the current step: the start of a new call, or the resume of one whose state was loaded. */
void provider_call_run(struct provider_call *c);
void provider_call_free(struct provider_call *c);

/*
 * Runs c as the current step of job j: j parks (no worker waits while the
 * provider answers) and c's done and ctx become the engine's. When the call
 * ends, j's step runs again with c attached: provider_call_of(j). At each
 * provider_next the call's state is saved in j's row (its secrets
 * encrypted) before the next request goes out, so a run of the step that a
 * crash or a shutdown interrupted, on any process, resumes the call at the
 * step it was on and sends that step's request again. c's input gets
 * "idempotencyKey", the step's job_key, for ops whose provider takes one.
 */
struct job;
void provider_call_in_job(struct provider_call *c, struct job *j);
/* The call that ended as j's current step; NULL when there is none yet (start it). */
struct provider_call *provider_call_of(const struct job *j);

/* The state as {"step", "data", "secrets"} (a job row keeps secrets encrypted). Caller owns. */
json_t *provider_state_save(const struct provider_state *s);
/* Replaces c's state by saved (copied). ERR_INVALID when saved is not a saved state. */
enum err_code provider_state_load(struct provider_call *c, const json_t *saved, struct err *err);

/* ---- for step functions ---- */

/* A string of the configuration, of the SCM connection's, or of the input ("" when absent). */
const char *provider_text(const struct provider_call *c, const char *field);
const char *provider_scm_text(const struct provider_call *c, const char *field);
bool provider_input_true(const struct provider_call *c, const char *field);
/* A state value: a string ("" when absent), or a number (0); a secret of the state ("" when absent). */
const char *provider_data_text(const struct provider_call *c, const char *key);
json_int_t provider_data_int(const struct provider_call *c, const char *key);
const char *provider_secret_text(const struct provider_call *c, const char *key);

/* Sends a request for the current step; its answer runs the op again. Headers are "Name: value", NULL-terminated. */
void provider_request(struct provider_call *c, const char *method, const char *url, const char *const *headers, const char *body,
                      const char *userpwd);
/* Sends any outbound call (an SMTP session): the driver sets its timeout, done and ctx. */
void provider_submit(struct provider_call *c, struct outbound_call *call);
/* Moves to step and runs it (sends its request). */
void provider_next(struct provider_call *c, int step);
/* Ends the call: verdict and message (never a secret), then done. */
void provider_finish(struct provider_call *c, enum verdict verdict, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Ends the call without a verdict when res is not an answer one can rest on (no answer, 5xx, 429); true then. */
bool provider_unanswered(struct provider_call *c, const struct outbound_response *res);
/*
 * Ends the call unless res is a 2xx: without a verdict as above; 401 and
 * 403 INVALID with unauthorized; 404 INVALID with missing; any other
 * status INVALID. True when it ended.
 */
bool provider_failed(struct provider_call *c, const struct outbound_response *res, const char *unauthorized, const char *missing);
/* The answer's body as JSON, or NULL after ending the call without a verdict (a 2xx that is not JSON). Caller owns. */
json_t *provider_answer_json(struct provider_call *c, const struct outbound_response *res);

#define PROVIDER_URL_MAX 2048
#define PROVIDER_AUTH_MAX 4200

/* base (without its trailing slashes) followed by the formatted path, into out[PROVIDER_URL_MAX]; returns out. */
char *provider_url(char *out, const char *base, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* s percent-escaped into buf (n bytes), or "" when it does not fit. */
const char *provider_escape(const char *s, char *buf, size_t n);
/* "Name: <prefix><value>" into out[PROVIDER_AUTH_MAX]; wipe it (provider_wipe) once the request is sent. */
void provider_header(char *out, const char *name, const char *prefix, const char *value);
/* Overwrites a NUL-terminated credential. */
void provider_wipe(char *s);
/* method base+path with "name: prefix<token>", up to two more fixed headers, and a JSON body (NULL: none). */
void provider_send_with_token(struct provider_call *c, const char *method, const char *base, const char *path, const char *name,
                              const char *prefix, const char *token, const char *const *extra, const char *body);
/* GET base+path with "name: prefix<token>" and up to two more fixed headers (extra: NULL-terminated, or NULL). */
void provider_get_with_token(struct provider_call *c, const char *base, const char *path, const char *name, const char *prefix,
                             const char *token, const char *const *extra);

#endif
