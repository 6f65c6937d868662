/*
 * listing.h: a provider's listing read one page a job step, the pages read
 * so far kept in the job's data (a process killed mid-listing resumes at
 * its page): the repository sync (repos.c) and the CI/CD job discovery
 * (cicd.c) read theirs this way.
 */
#ifndef SLIPWAY_LISTING_H
#define SLIPWAY_LISTING_H

#include <jansson.h>

#include "core/common.h"
#include "core/err.h"
#include "store/store.h"

struct job;
struct provider_call;

struct listing {
    const char *items; /* the array of the call's output and of the job's data: "repositories", "jobs" */
    const char *next;  /* the next page, in the call's output and the job's data: "next", "cursor" */
    int max_pages;     /* more pages than this: LISTING_TOO_LONG */
};

enum listing_turn { LISTING_NEXT, LISTING_WHOLE, LISTING_TOO_LONG };

/*
 * After a page's call answered (VALID): its items added to j's data; LISTING_NEXT when another page follows (j
 * moved on to it: job_next), LISTING_WHOLE with every item in *all (borrowed from j's data), or LISTING_TOO_LONG.
 */
enum listing_turn listing_take(struct job *j, const struct provider_call *call, const struct listing *l, json_t **all);
/* The job of kind whose dedupe key starts with prefix and has not ended: 1 (its id in job), 0 none, -1 an error. */
int listing_running(struct store_conn *c, const char *kind, const char *prefix, char job[UUID_SIZE], struct err *err);

#endif
