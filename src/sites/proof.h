/*
 * proof.h: proving that a tenant holds a domain, and proving it again
 * (docs/sites.md "Custom domains" and "Re-checking proven domains",
 * docs/sso.md "Finding the sign-on").
 *
 * A site's domain is proven by its challenge URL (http://{host}
 * PROOF_CHALLENGE_PATH {token}, through the outbound guard) or by a TXT
 * record (PROOF_SITE_LABEL.{host}); an SSO e-mail domain by a TXT record
 * (PROOF_SSO_LABEL.{domain}). The owner's checks (sites_http.c,
 * iam_http.c) and the re-check below ask the same way, through these.
 *
 * The re-check: the recurring job PROOF_SWEEP_JOB queues a PROOF_RECHECK_JOB
 * for each proven domain (a VERIFIED site domain, a proven SSO domain)
 * whose last check is older than SLIPWAY_DOMAIN_RECHECK, PROOF_SWEEP_BATCH
 * of each table a pass. A check that finds the proof clears the failures; one
 * that does not counts a failure (lastError says why) and the domain stays
 * proven, until proof_lost: then a site domain is FAILED (it stops serving)
 * and an SSO domain unproven (the login page stops offering it), with an
 * audit row and the event domain.proof.lost, in the transaction that
 * records the check.
 */
#ifndef SLIPWAY_PROOF_H
#define SLIPWAY_PROOF_H

#include "jobs/jobs.h"
#include "outbound/outbound.h"
#include "sites/sites.h"

#define PROOF_CHALLENGE_PATH "/.well-known/slipway-challenge/"
#define PROOF_SITE_LABEL "_slipway-challenge" /* TXT PROOF_SITE_LABEL.{hostName} = the domain's challengeToken */
#define PROOF_SSO_LABEL "_slipway-sso"        /* TXT PROOF_SSO_LABEL.{domain} = the claim's challengeToken */
#define PROOF_PROBLEM_SIZE 200

/*
 * The proof is lost after PROOF_LOSS_FAILURES checks in a row that did not
 * find it, the first PROOF_LOSS_SPAN_MS ago at least: a DNS blip, a web
 * server restarted or a record being moved fails a check or two, and must
 * not take a site down; a day gives its owner time to see lastError (or the
 * event) and put the proof back.
 */
#define PROOF_LOSS_FAILURES 3
#define PROOF_LOSS_SPAN_MS (24LL * 3600 * 1000)
bool proof_lost(int failures, int64_t failing_since_ms, int64_t now_ms);

/* Whether the challenge URL's answer r is the token; if not, why into problem (PROOF_PROBLEM_SIZE). */
bool proof_http_verdict(const struct outbound_response *r, const char *token, char *problem);
/* GETs host's challenge URL for token on the outbound loop (env's check address instead, when set); done on the loop thread. */
enum err_code proof_http_submit(const struct sites_env *env, const char *host, const char *token, outbound_done_fn done, void *ctx,
                                struct err *err);
/*
 * Whether resolver's TXT record label.host holds token (blocking: a pool
 * thread's); if not, why into problem (PROOF_PROBLEM_SIZE).
 */
bool proof_dns(const char *resolver, long timeout_ms, const char *label, const char *host, const char *token, char *problem);

#define PROOF_SWEEP_JOB "domains-recheck"
#define PROOF_RECHECK_JOB "domain-recheck"
#define PROOF_SWEEP_BATCH 200
/* The sweep runs every SLIPWAY_DOMAIN_RECHECK, at most every hour (a domain is due an hour late at worst). */
#define PROOF_SWEEP_EVERY_S(recheck_s) ((recheck_s) < 3600 ? (recheck_s) : 3600)

/* ctx: the sites_env (sites.h) main.c hands sites_start, its jobs set once the engine runs. */
void proof_sweep_step(void *ctx, struct job *j);
void proof_recheck_step(void *ctx, struct job *j);

#endif
