/*
 * registry.h: every provider, in one list (registry.c), and what generic
 * code asks of it. Nothing above this names a provider: it finds one by
 * type or kind, or walks them all.
 */
#ifndef SLIPWAY_PROVIDER_REGISTRY_H
#define SLIPWAY_PROVIDER_REGISTRY_H

#include "core/config.h"
#include "providers/provider.h"

/*
 * Derives each provider's schema (provider.h) and checks the table:
 * every type and kind once, capabilities equal to the ops present. Aborts
 * on an inconsistent table. Idempotent; the first call is before any
 * thread starts.
 */
void provider_registry_init(void);

/* By type name or verify kind; NULL if unknown. Disabled providers are still found (check provider_enabled). */
const struct provider *provider_by_type(const char *type);
const struct provider *provider_by_kind(const char *kind);
const struct provider *provider_at(size_t i); /* NULL past the end */
/* False when its feature flag switched it off (read once, at start-up). */
bool provider_enabled(const struct provider *p);
/* True when p has the op of capability cap (one CAP_ bit). */
bool provider_has_op(const struct provider *p, uint64_t cap);

/*
 * Every provider setting and feature flag as configuration options, for
 * config_register before config_load (which reads them once, and `slipway
 * help` lists them). Built once; *n gets their number.
 */
const struct config_external *provider_config_options(size_t *n);

#endif
