/*
 * monitoring.h: what the monitoring providers (sentry.c, bugsnag.c) share.
 */
#ifndef SLIPWAY_PROVIDER_MONITORING_H
#define SLIPWAY_PROVIDER_MONITORING_H

#include "providers/call.h"

/* The version the call asks about (its input's "version"), or "". */
const char *monitoring_version(const struct provider_call *c);

/* The call asks for the error count (its input's "metric" is errorCount): the op reads that alone, else the rates alone. */
bool monitoring_counts_errors(const struct provider_call *c);

/* The minutes the error count covers: the rule's window (the input's "windowMinutes"), or 60 when it is 0 or absent. */
int monitoring_period_minutes(const struct provider_call *c);

/*
 * Ends a monitoring_health call VALID with {"crashFreeSessions", "crashFreeUsers", "errorCount"}: each rate (a
 * fraction 0..1 as a JSON number; NULL, null or out of range when the provider has none) as a percentage 0..100, else
 * null; errors (a count, a JSON integer >= 0) as it is, else null.
 */
void monitoring_finish(struct provider_call *c, const json_t *sessions, const json_t *users, const json_t *errors);

#endif
