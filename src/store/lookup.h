/*
 * lookup.h: store_lookup's shared round trips (store.c's, private to the store).
 */
#ifndef SLIPWAY_STORE_LOOKUP_H
#define SLIPWAY_STORE_LOOKUP_H

#include "store/store_driver.h"

struct lookups;

/* Starts the batching threads for a driver with lookup_batch; NULL for one without. */
struct lookups *lookups_start(const struct store_driver *d, const char *target, const struct store_options *opt);
/* Stops them once the queue is empty; no thread may call lookups_run any more. */
void lookups_stop(struct lookups *l);
/* store_lookup through the batchers: waits for the batch that carries it. */
int lookups_run(struct lookups *l, struct store_lookup_item *item);

#endif
