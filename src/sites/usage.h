/*
 * usage.h: per-tenant usage metering (docs/sites.md, "Usage metering").
 *
 * usage_count() adds to an in-memory count per (tenant, day, metric); a
 * thread adds the counts to tenant_usage every flush interval, one upsert
 * per count, so no request writes the database for its count and a row is
 * written once per interval per process. Counts a process has not flushed
 * when it is killed are lost (at most one interval's).
 */
#ifndef SLIPWAY_USAGE_H
#define SLIPWAY_USAGE_H

#include "core/common.h"
#include "core/err.h"

struct store;

/* The metrics, in the order of usage_metric_names (the table's check constraint lists the same names). */
enum usage_metric { USAGE_API_REQUESTS, USAGE_PAGE_VIEWS, USAGE_POSTS_PUBLISHED, USAGE_DOMAIN_CHECKS, USAGE__COUNT };

extern const char *const usage_metric_names[USAGE__COUNT];

/* Starts the flusher (every flush_seconds) on store. Once, at start-up; usage_count before it does nothing. */
void usage_start(struct store *store, int flush_seconds);
/* Flushes what is counted and stops the flusher. */
void usage_stop(void);

/* Adds n to tenant's metric today. Thread-safe; takes a lock, never the database. */
void usage_count(const char *tenant_id, enum usage_metric metric, int64_t n);

/* Writes this process's counts now (GET /usage does, so an owner sees them at once). */
void usage_flush(void);

#endif
