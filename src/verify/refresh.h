/*
 * refresh.h: the OAuth access tokens of SCM integrations, refreshed before
 * they expire (issue 17, docs/deployments.md "OAuth tokens").
 *
 * An integration refreshes when it has a refreshToken, the OAuth client's
 * clientId and clientSecret, and an expiresAt within TOKEN_REFRESH_MARGIN_S.
 * The refresh is one job ("scm-token-refresh", payload integrationId and
 * the expiresAt it replaces) whose dedupe key holds both, so an expiry is
 * refreshed once however many processes and callers ask: the job is the
 * only place a refresh token is spent, which matters because GitLab, Gitea
 * and Bitbucket rotate it (a second use is invalid_grant). Its answer is
 * stored in one transaction (access token and rotated refresh token
 * encrypted, the new expiresAt), compared on the expiresAt it replaced so
 * an edit made meanwhile wins. invalid_grant, or a refused client, is
 * recorded as a verification (EXPIRED or INVALID, with the message and an
 * audit row); no answer is tried again by the same job, with a backoff
 * (verify_env.refresh_retry_ms, doubling) until the token expires, then it
 * is EXPIRED, saying that the provider did not answer.
 * Whoever waits for the token (a repository sync) waits for the signal
 * token_refresh_signal names, sent at the job's end: it names the expiry
 * replaced too, so the end of an earlier refresh wakes nobody by mistake.
 *
 * Every TOKEN_SWEEP_EVERY_S the recurring "scm-token-sweep" starts the
 * refresh of each integration due.
 */
#ifndef SLIPWAY_VERIFY_REFRESH_H
#define SLIPWAY_VERIFY_REFRESH_H

#include "core/common.h"
#include "core/err.h"

#include <jansson.h>

#define TOKEN_REFRESH_JOB "scm-token-refresh" /* payload: integrationId, expiresAt */
#define TOKEN_SWEEP_JOB "scm-token-sweep"     /* recurring */
#define TOKEN_REFRESH_SIGNAL "scm-token"      /* the prefix of token_refresh_signal's keys */
#define TOKEN_SWEEP_EVERY_S 60
#define TOKEN_REFRESH_MARGIN_S 600 /* refreshed this long before it expires: a sweep or two, and a sync's length */

struct store;
struct store_conn;
struct jobs;
struct job;
struct verify_env;

/* The signal the end of the refresh of integration's token expiring at expires_at sends, into out[JOB_EVENT_KEY_SIZE]. */
void token_refresh_signal(char *out, const char *integration, const char *expires_at);
/*
 * True when config (an SCM integration's, decrypted) can and must be
 * refreshed now: a refresh token, a client, and expiresAt within the margin.
 */
bool token_refresh_due(const json_t *config);
/*
 * The refresh of the tenant's integration whose token expires at
 * expires_at (as stored), in a transaction of its own on c, unless one for
 * that expiry exists already (then nothing is added).
 */
enum err_code token_refresh_start(struct store_conn *c, struct jobs *q, const char *tenant, const char *integration,
                                  const char *expires_at, struct err *err);

/* The step functions (ctx: a struct verify_env, its jobs set once the engine runs). */
void token_refresh_step(void *ctx, struct job *j);
void token_sweep_step(void *ctx, struct job *j);

#endif
