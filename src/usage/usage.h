/*
 * usage.h: per-tenant usage metering and limits (docs/sites.md, "Usage metering").
 *
 * usage_count() adds to an in-memory count per (tenant, site, day,
 * metric); a thread appends the counts to usage_events every flush
 * interval, one row per count, so no request writes the database for its count. The
 * recurring job USAGE_ROLLUP_JOB adds the events to tenant_usage and deletes
 * them in one transaction, each event counted only if this transaction is
 * the one that deleted it: each is counted exactly once, even when two
 * processes roll up at the same time or one is killed half-way. Counts a
 * process has not flushed when it is killed are lost (at most one
 * interval's).
 *
 * Limits (tenant_limits, set by the instance administrator) are cached per
 * process with the usage of their period, refreshed at each flush:
 * usage_check() costs no query. Several processes may together overshoot a
 * limit by what each counts in one flush interval.
 *
 * A domain module counts with one line: usage_count(tenant, site, USAGE_X,
 * 1), site NULL for what is the tenant's own (an API request, a release).
 * In the tables the tenant's own is siteId '' (USAGE_NO_SITE), never NULL:
 * PostgreSQL and MariaDB hold NULLs in a unique key distinct. Limits stay
 * per tenant: every site's count counts against them.
 * Storage is the exception: a gauge read from the tables (below).
 */
#ifndef SLIPWAY_USAGE_H
#define SLIPWAY_USAGE_H

#include "core/common.h"
#include "core/err.h"

#include <jansson.h>

struct store;
struct store_conn;
struct job;

/* The metrics, in the order of usage_metric_names (the tables' check constraints list the same names, migrations 0032 and 0043). */
enum usage_metric {
    USAGE_API_REQUESTS,
    USAGE_PAGE_VIEWS,
    USAGE_POSTS_PUBLISHED,
    USAGE_DOMAIN_CHECKS,
    USAGE_RELEASES_CREATED,
    USAGE_BUILDS_TRIGGERED,
    USAGE_DEPLOYMENTS_STARTED,
    USAGE_DEPLOYMENT_MINUTES,
    USAGE_NOTIFICATIONS_SENT,
    USAGE_STORAGE_BYTES,
    USAGE__COUNT
};

extern const char *const usage_metric_names[USAGE__COUNT];
/* The metric named name, or -1. */
int usage_metric_of(const char *name);

#define USAGE_ROLLUP_JOB "usage-rollup" /* recurring */

/*
 * Starts the flusher (every flush_seconds) on store; the roll-up reads a
 * tenant's storage gauge at most every storage_seconds. Once, at start-up;
 * usage_count before it does nothing.
 */
void usage_start(struct store *store, int flush_seconds, int storage_seconds);
/* Flushes what is counted and stops the flusher. */
void usage_stop(void);

/* The siteId of a count that is the tenant's own, not a site's (migration 0055). */
#define USAGE_NO_SITE ""

/*
 * Adds n to tenant's metric today, for site_id (NULL: the tenant's own,
 * not a site's). Thread-safe; takes a lock, never the database.
 */
void usage_count(const char *tenant_id, const char *site_id, enum usage_metric metric, int64_t n);

/*
 * ERR_USAGE_LIMIT (429, err->retry_after the seconds to the period's end,
 * the message naming the metric, the limit and the period) when one more of
 * tenant's metric would pass one of its limits; else ERR_OK. No query.
 */
enum err_code usage_check(const char *tenant_id, enum usage_metric metric, struct err *err);

/*
 * Storage is a gauge, not a count: the bytes (UTF-8) of text the tenant
 * keeps now, read from the tables that hold it (usage.c, storage_kept), so
 * a deletion gives back. Nothing counts it: the roll-up records each
 * tenant's gauge as that day's tenant_usage row (set, not added), and GET
 * usage reads it live.
 */
/* Into *out, the bytes tenant keeps now (one query on c). */
enum err_code usage_storage_kept(struct store_conn *c, const char *tenant_id, int64_t *out, struct err *err);
/*
 * ERR_USAGE_LIMIT (429, no Retry-After: waiting gives nothing back; the
 * message naming the limit, what is kept and what the write adds) when a
 * write that grows tenant's storage by grow bytes (the new text's bytes
 * less those it replaces) would pass one of its storageBytes limits; else
 * ERR_OK. A write that does not grow storage is always taken. Queries c
 * only when tenant has such a limit and grow > 0.
 */
enum err_code usage_check_storage(struct store_conn *c, const char *tenant_id, int64_t grow, struct err *err);

/* Writes this process's counts now (GET /usage does, so an owner sees them at once), then refreshes the limits. */
void usage_flush(void);
/*
 * Caller owns: tenant's limits as [{metric, period, max, used, resetsAt}],
 * used being the period's usage in the database (flushed counts); NULL on
 * error.
 */
json_t *usage_limits_json(struct store_conn *c, const char *tenant_id, struct err *err);
/* Reloads the limits and their periods' usage (after the administrator changed them). */
void usage_limits_reload(void);

/* The roll-up job's step; ctx is a struct store ** (set once the store is open, before the engine starts). */
void usage_rollup_step(void *ctx, struct job *j);

/* The first day (YYYY-MM-DD, UTC) of the period ("day" or "month") that holds now_ms; and its end, in ms. */
void usage_period_start(const char *period, int64_t now_ms, char out[11]);
int64_t usage_period_end_ms(const char *period, int64_t now_ms);

#endif
