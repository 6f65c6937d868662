/*
 * verify.h: checking an integration's credentials against its provider.
 *
 * A verification is a call of the provider's verify op (providers/call.h:
 * a step machine on the outbound loop, so thousands can be in flight while
 * no thread waits). This module starts it, turns its verdict into the
 * integration's status by document 000's table (verify_transition),
 * records it with an audit row, and answers it; it names no provider.
 *
 * Threads: done runs on the outbound loop's thread (or the caller's, when
 * the call ended before sending anything) and must be quick: it hands its
 * work to a pool.
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

/* The answer of a verify endpoint; status is the integration's status after it, details may be NULL. Caller owns. */
json_t *verify_answer(enum verdict verdict, const char *message, json_t *details, const char *status);

struct category;
struct keyring;
struct request;
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
 * Records a verdict (and its message) on a stored integration in one
 * transaction: the status by document 000's table, lastVerifiedAt and the
 * error on a verdict, and an audit row (integration.verify) in every case.
 * req may be NULL (periodic re-verification). to gets the status after it.
 */
enum err_code verify_record(struct store_conn *c, const struct request *req, const struct category *cat, const char *tenant_id,
                            const char *id, enum verdict verdict, const char *message, char to[16], struct err *err);

/* Document 000's table: the status after a verdict (see docs/verification.md). */
const char *verify_transition(const char *from, enum verdict verdict);
const char *verdict_name(enum verdict v); /* "VALID", ... or NULL for none */

#endif
