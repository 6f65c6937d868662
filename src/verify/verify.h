/*
 * verify.h: checking an integration's credentials against its provider.
 *
 * A verification is a call of the provider's verify op (providers/call.h:
 * a step machine on the outbound loop, so thousands can be in flight while
 * no thread waits). A stored integration is verified by a job of the
 * workflow engine (jobs/jobs.h), kind "verify": its one step loads the
 * configuration and runs the call, parked, then records the verdict (the
 * status by document 000's table, verify_transition, with an audit row) in
 * the same transaction as the job's end. "verify-all" verifies every
 * integration of a tenant as its children, and "reverify" (reverify.h) the
 * overdue ones of every tenant. A configuration not stored is checked by a
 * bare call (verify_start): nothing of it is kept. This module names no
 * provider.
 */
#ifndef SLIPWAY_VERIFY_H
#define SLIPWAY_VERIFY_H

#include <jansson.h>

#include "providers/call.h"

/*
 * Starts checking config (stolen) of provider p, stored as integration id
 * (NULL for a configuration not stored: logs name the id, never a URL);
 * scm (stolen, may be NULL)
 * is a pipeline's SCM configuration; send_test asks for a test message
 * where the type can send one. done(v, ctx) is called exactly once, with
 * v->verdict, v->message and v->output (the details); then the caller frees
 * v with provider_call_free.
 */
void verify_start(const struct provider_loop *loop, const struct provider *p, const char *id, json_t *config, json_t *scm,
                  bool send_test, void (*done)(struct provider_call *v, void *ctx), void *ctx);
/* The same call, not started (done may be NULL: provider_call_in_job sets it). */
struct provider_call *verify_call_new(const struct provider_loop *loop, const struct provider *p, const char *id, json_t *config,
                                      json_t *scm, bool send_test, void (*done)(struct provider_call *v, void *ctx), void *ctx);

/* The answer of a verify endpoint; status is the integration's status after it, details may be NULL. Caller owns. */
json_t *verify_answer(enum verdict verdict, const char *message, json_t *details, const char *status);

struct category;
struct job;
struct keyring;
struct request;
struct store;
struct store_conn;

/*
 * The decrypted configuration of a stored integration, and its SCM
 * connection's when its type acts through one (new references, for
 * verify_start). expect, when set, is the type it must be (ERR_NOT_FOUND
 * otherwise). ERR_CONFLICT when a stored secret does not decrypt;
 * ERR_INVALID (detail scmIntegrationId) when the SCM connection is missing.
 */
enum err_code verify_load(struct store_conn *db, const struct keyring *keys, const struct category *cat, const char *tenant_id,
                          const char *id, const struct provider *expect, json_t **config, json_t **scm, struct err *err);
/* The SCM part alone, for a configuration that names scmIntegrationId. */
enum err_code verify_load_scm(struct store_conn *db, const struct keyring *keys, const char *tenant_id, json_t *config,
                              json_t **scm, struct err *err);

/*
 * Records the verdict (and message) of the ended call v on a stored
 * integration in one transaction: the status by document 000's table,
 * lastVerifiedAt and the error on a verdict, an audit row
 * (integration.verify) in every case, and the end of the job j whose step
 * it is (its output: {"type", "answer"}, the answer verify_answer gives).
 * req is who asked (NULL: the periodic re-verification). to gets the
 * status after it.
 */
enum err_code verify_record(struct store_conn *c, const struct request *req, const struct category *cat, const char *tenant_id,
                            const char *id, const struct provider_call *v, struct job *j, char to[16], struct err *err);

/*
 * What verify_record tells, inside its transaction, when a verdict moved an
 * integration's status (from != to): main.c hands notify's event
 * (notify_integration_status) here at start-up, so verification names no
 * module above it. An error fails the record, which is retried whole.
 */
typedef enum err_code (*verify_status_fn)(struct store_conn *c, const char *tenant, const char *category, const char *type,
                                          const char *id, const char *from, const char *to, const char *message, struct err *err);
void verify_on_status(verify_status_fn fn);

/* ---- verification as jobs (verify_jobs.c) ---- */

#define VERIFY_JOB "verify"         /* payload: category, integrationId, sendTest, type (expected; optional), origin (optional) */
#define VERIFY_ALL_JOB "verify-all" /* payload: origin (optional); output: {"items": [answers with id, category, type]} */

/* What verification jobs need; the kinds' ctx. */
struct verify_env {
    struct store *store;
    const struct keyring *keys;
    const struct provider_loop *loop;
    int reverify_interval; /* seconds: a VALID integration checked longer ago than this is overdue */
    struct jobs *jobs;     /* the engine, once started (the token sweep enqueues) */
    int refresh_retry_ms;  /* an OAuth refresh not answered is tried again after this, doubling (refresh.h) */
};

/* The step functions of the kinds above (ctx: a struct verify_env). */
void verify_job_step(void *ctx, struct job *j);
void verify_all_step(void *ctx, struct job *j);
/* Who asked, kept in a job's payload for the audit row: {requestId, ip, userAgent, accountId}. Caller owns. */
json_t *verify_origin(const struct request *req);

/* Document 000's table: the status after a verdict (see docs/verification.md). */
const char *verify_transition(const char *from, enum verdict verdict);
const char *verdict_name(enum verdict v); /* "VALID", ... or NULL for none */

#endif
