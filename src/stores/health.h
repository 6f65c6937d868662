/*
 * health.h: health-gated rollouts (issue 15, docs/stores.md "Health-gated
 * rollouts").
 *
 * A submission may carry a health rule: a monitoring integration (Sentry,
 * Bugsnag), a metric (crash-free sessions or users, below a threshold in
 * percent; or the error count, above a threshold in errors) and a window
 * (minutes: how long a breach must last, and the period the error count
 * covers, 0 reading the last hour). While the submission rolls out, the
 * recurring "store-health-sweep" (every SLIPWAY_HEALTH_INTERVAL seconds)
 * queues one "store-health" job per such submission, which reads the
 * release's figures with the provider's monitoring_health op on the
 * outbound loop and records the reading (store_health: the figure, since
 * when it has breached the threshold, when it was read, why there is
 * none). A breach that has lasted the window halts every staged rollout of
 * the release, on every store, through submission_ask (the editors' own
 * halt path), and says why on the release's timeline (STATUS
 * health-breached: release.health.breached), in the same transaction as
 * the reading. A provider that does not answer is no figure: reported
 * (error), never a breach.
 */
#ifndef SLIPWAY_STORES_HEALTH_H
#define SLIPWAY_STORES_HEALTH_H

#include "stores/stores.h"

#define STORE_HEALTH_SWEEP_JOB "store-health-sweep" /* recurring, every SLIPWAY_HEALTH_INTERVAL seconds */
#define STORE_HEALTH_JOB "store-health"             /* payload: submissionId */

struct jsonw;

/* The jobs (ctx: struct stores_env). */
void health_sweep_step(void *ctx, struct job *j);
void health_check_step(void *ctx, struct job *j);

/* A health rule's shape, for a schema's check ({} is none): NULL, or what is wrong. */
const char *health_rule_check(json_t *v);
/*
 * Inside the caller's transaction: the rule (NULL or {}: none) kept on the
 * submission; ERR_INVALID (detail healthRule) when its monitoring
 * integration is not one of the tenant's.
 */
enum err_code health_rule_save(struct store_conn *c, const char *tenant, const char *submission, const json_t *rule,
                               struct err *err);
/* The release's health: [{submissionId, platform, target, status, rule, value, breachSince, checkedAt, error}], each
 * submission with a rule and its latest reading, oldest submission first. Caller owns (an empty array on error). */
json_t *health_read(struct store_conn *db, const char *tenant, const char *release, struct err *err);
/* "health": [...] of the release (health_read's), into w. */
enum err_code health_write(struct store_conn *db, struct jsonw *w, const char *tenant, const char *release, struct err *err);

#endif
