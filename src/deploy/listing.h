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
/*
 * A listing job's step, the whole of it (repos_sync_step, cicd_discover_step):
 * no call yet, starts the page j's data names; a page answered, takes it;
 * every page read, writes them all in one transaction that ends j. What a
 * person can act on (the provider's refusal, a listing too long, an
 * integration that cannot list) goes to `failed`, which records it and
 * ends j; anything else fails j, to run again after its backoff.
 */
struct listing_write {
    struct job *job;
    const char *integration;
    const json_t *items; /* every page's items */
};

struct listing_job {
    struct listing pages;
    const char *what; /* "a repository sync": in the job's errors */
    /* Starts the call for the page j's data names (the first when none): j parks. ERR_NOT_FOUND: the integration is
     * gone (j ends: its rows went with it); ERR_CONFLICT or ERR_INVALID: it cannot list (failed). */
    enum err_code (*start_page)(const void *env, struct job *j, const char *integration, struct err *err);
    /* A transaction's body (ctx: struct listing_write): the rows become the listing, and j ends with it (job_done_in). */
    enum err_code (*write)(struct store_conn *c, void *ctx, struct err *err);
    /* Records why the listing failed (the rows stay), then ends j. */
    void (*failed)(const void *env, struct job *j, const char *integration, const char *message);
};

void listing_step(const struct listing_job *l, const void *env, struct store *store, struct job *j);

/*
 * Each of the tenant's integrations of a listing's table, with its listing's
 * state, for a list's answer. Read before the list's rows: an answer whose
 * state says the listing ended holds at least that listing's rows (the
 * reverse order could pair an ended state with the rows before it).
 */
struct listing_states {
    const char *sql;     /* SELECT id, type, displayName, status, last ended at, last error ... WHERE tenantId = ? */
    const char *keys[3]; /* the answer's names of the last three: "syncStatus", "lastSyncedAt", "lastSyncError" */
};

json_t *listing_states(struct store_conn *c, const struct listing_states *q, const char *tenant, struct err *err);

/* The job of kind whose dedupe key starts with prefix and has not ended: 1 (its id in job), 0 none, -1 an error. */
int listing_running(struct store_conn *c, const char *kind, const char *prefix, char job[UUID_SIZE], struct err *err);

#endif
