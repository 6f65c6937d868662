/*
 * verify.h: checking an integration's credentials against its provider.
 *
 * A verification is a small state machine per provider (verifiers.c): the
 * provider's step function is called first with no response, and again
 * with each answer, until it calls verify_finish with a verdict. Calls go
 * through the outbound event loop, so thousands can be in flight while no
 * thread waits. The verdict is mapped to the integration's status by
 * document 000's table (verify_transition), never here.
 *
 * Threads: steps after the first run on the outbound loop thread and must
 * be quick; the `done` callback too (it hands its work to a pool).
 */
#ifndef SLIPWAY_VERIFY_H
#define SLIPWAY_VERIFY_H

#include <jansson.h>

#include "core/config.h"
#include "outbound/outbound.h"

struct provider;

enum verdict { VERDICT_NONE, VERDICT_VALID, VERDICT_INVALID, VERDICT_EXPIRED };

/* Process-wide settings of verification: where providers are, how long to wait. */
struct verify_env {
    struct outbound *out;
    long timeout_ms, appstore_timeout_ms, google_timeout_ms;
    int github_hourly; /* GITHUB_API_RATE_LIMIT */
    const char *github_api, *gitlab, *bitbucket_api, *appstore_api, *google_token, *play_api, *firebase_api, *slack_api,
        *circleci_api, *linear_api;
    const char *slack_hooks, *teams_hooks; /* the hosts webhooks may name (SLIPWAY_*_WEBHOOK_HOSTS) */
};

/* Fills env from the configuration (its strings are borrowed) and starts the outbound loop. */
enum err_code verify_env_start(struct verify_env *env, const struct config *cfg, struct err *err);

struct verification {
    const struct verify_env *env;
    const struct provider *prov;
    char id[UUID_SIZE]; /* the stored integration checked, or "" for a configuration: what logs name, never its URL */
    json_t *config;     /* plaintext configuration (secrets included): wiped when freed */
    json_t *scm;        /* pipelines: their SCM connection's configuration, or NULL */
    json_t *details;    /* facts gathered for the answer (never secrets) */
    bool send_test;
    int step;         /* the provider's own progress */
    char token[4096]; /* a credential obtained on the way (an OAuth access token, a JWT): wiped */
    char note[512];   /* provider scratch: a crumb header, an edit id, a cursor */
    int index;        /* provider scratch: which channel or job is being checked */
    enum verdict verdict;
    char message[512];
    void (*done)(struct verification *v, void *ctx);
    void *ctx;
};

/* What a provider's step function looks like. res is NULL on the first call. */
typedef void (*verify_step_fn)(struct verification *v, const struct outbound_response *res);

/*
 * Starts checking config (stolen) of provider p, stored as integration id
 * (NULL for a configuration not stored); scm (stolen, may be NULL) is a
 * pipeline's SCM configuration. done(v, ctx) is called exactly once, then
 * the caller frees v with verify_free.
 */
void verify_start(const struct verify_env *env, const struct provider *p, const char *id, json_t *config, json_t *scm,
                  bool send_test, void (*done)(struct verification *v, void *ctx), void *ctx);
void verify_free(struct verification *v);

/* For step functions. */
void verify_request(struct verification *v, const char *method, const char *url, const char *const *headers, const char *body,
                    const char *userpwd);
/* An SMTP session to target (smtp://host:port): a login check, or with v->send_test a test message to the recipients. */
void verify_smtp(struct verification *v, const char *target, const char *userpwd);
void verify_finish(struct verification *v, enum verdict verdict, const char *fmt, ...) PRINTF_LIKE(3, 4);
/*
 * Ends the check without a verdict when res is not an answer a verdict can
 * rest on (no answer, 5xx, 429); returns true then.
 */
bool verify_unanswered(struct verification *v, const struct outbound_response *res);
/*
 * Notes why the provider refused (res is an HTTP answer) in v->details'
 * "cause": its status and the first line of its own error text, unless
 * that holds a secret of the configuration. verify_unanswered notes the
 * cause of a failure without an answer there too.
 */
void verify_note_answer(struct verification *v, const struct outbound_response *res);
/* A string field of the configuration ("" when absent). */
const char *verify_text(const struct verification *v, const char *field);

/* The answer of a verify endpoint for v; status is the integration's status after it. Caller owns. */
json_t *verify_answer(const struct verification *v, const char *status);

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
 * Records v's verdict on a stored integration in one transaction: the
 * status by document 000's table, lastVerifiedAt and the error on a
 * verdict, and an audit row (integration.verify) in every case. req may be
 * NULL (periodic re-verification). to gets the status after it.
 */
enum err_code verify_record(struct store_conn *c, const struct request *req, const struct category *cat, const char *tenant_id,
                            const char *id, const struct verification *v, char to[16], struct err *err);

/* Document 000's table: the status after a verdict (see docs/verification.md). */
const char *verify_transition(const char *from, enum verdict verdict);
const char *verdict_name(enum verdict v); /* "VALID", ... or NULL for none */

#endif
