/*
 * lifecycle.h: the statuses of a deployment step (one script on one host)
 * and what moves it from one to another, and the status of a deployment
 * (hosts x scripts steps) aggregated from its steps' statuses: one enum, one
 * transition table (for steps, and for a deployment before its first step:
 * SCHEDULED, AWAITING_APPROVAL) and one aggregation table for deployments, in
 * lifecycle.c, the only place that decides a status (docs/deployments.md
 * draws both).
 */
#ifndef SLIPWAY_DEPLOY_LIFECYCLE_H
#define SLIPWAY_DEPLOY_LIFECYCLE_H

#include <stdbool.h>

enum deploy_status {
    DEP_NONE = -1,         /* refused, or not a status */
    DEP_PENDING,           /* created; its job has not connected yet */
    DEP_RUNNING,           /* the script was started on the host */
    DEP_SUCCEEDED,         /* it exited 0 */
    DEP_FAILED,            /* it exited non-zero, or never ran (connection, host key, login), or slipway died while it ran */
    DEP_CANCELLED,         /* an editor cancelled it */
    DEP_PARTIALLY_FAILED,  /* a deployment only (never a step): some steps succeeded, others failed */
    DEP_SCHEDULED,         /* a deployment only: scheduled "later", waiting for its scheduledTime */
    DEP_AWAITING_APPROVAL, /* a deployment only: to a protected environment, waiting for its approvals */
    DEP__COUNT
};

enum deploy_event {
    DEV_START,        /* connected and logged in: the script starts */
    DEV_EXIT_ZERO,    /* the script exited 0 */
    DEV_EXIT_NONZERO, /* the script exited with another status, or a signal */
    DEV_FAIL,         /* it could not run: the host refused, the connection failed or dropped */
    DEV_CANCEL,
    DEV_INTERRUPTED, /* slipway died while the script ran, and the script may not run twice */
    DEV_RESTART,     /* slipway died while the script ran, and the script is idempotent: it runs again */
    DEV_TIMEOUT,     /* the script ran past its timeoutSeconds: the remote process was stopped */
    DEV_DUE,         /* a deployment's scheduledTime came */
    DEV_APPROVED,    /* a deployment got its environment's requiredApprovals */
    DEV__COUNT
};

/* The status after event in from; DEP_NONE when the event is refused there. */
enum deploy_status deploy_transition(enum deploy_status from, enum deploy_event event);
/* True once nothing can move the deployment any more. */
bool deploy_is_final(enum deploy_status s);

/*
 * A deployment's status from its steps' statuses: steps[s] is how many of
 * its steps are in status s (a 1x1 deployment has the status of its one
 * step). DEP_NONE for no steps, or a step PARTIALLY_FAILED (a step never is).
 */
enum deploy_status deploy_aggregate(const int steps[DEP__COUNT]);

/* Names as stored and in the API ("PENDING", ...), and back (DEP_NONE for unknown text). */
const char *deploy_status_name(enum deploy_status s);
enum deploy_status deploy_status_parse(const char *name);
const char *deploy_event_name(enum deploy_event e); /* "start", "exit-zero", ... */

#endif
