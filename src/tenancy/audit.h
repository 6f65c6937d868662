/*
 * audit.h: the append-only audit trail.
 *
 * Every mutation writes its row with audit_write() inside the same
 * transaction as the change, so the trail and the data never disagree.
 * details is a JSON object of what was touched (field names, old and new
 * roles), never a secret value: callers pass names, not values, for
 * anything sensitive.
 */
#ifndef SLIPWAY_AUDIT_H
#define SLIPWAY_AUDIT_H

#include <jansson.h>

#include "http/request.h"

struct audit_event {
    const char *tenant_id; /* NULL for account-level events */
    const char *action;    /* e.g. "member.update" */
    const char *target_type, *target_id;
    bool failed;
    json_t *details; /* borrowed; may be NULL */
    /* The actor; NULL takes it from the request's principal (roles.h) (both NULL for the command line). */
    const char *actor_id, *actor_email;
};

/* req may be NULL (administration commands): then ip, user agent and request id are empty. */
enum err_code audit_write(struct store_conn *c, const struct request *req, const struct audit_event *ev, struct err *err);

#endif
