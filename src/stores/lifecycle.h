/*
 * lifecycle.h: the status of a store submission (issue 15, docs/stores.md)
 * and what moves it: one enum for the three stores and one transition
 * table, in lifecycle.c, the only place a submission's status is decided.
 * Each store's own states map to it (docs/stores.md has the mapping).
 *
 * A transition is (status, event) -> status, or SUB_NONE when the event is
 * refused in that status (an action answers 409).
 */
#ifndef SLIPWAY_STORES_LIFECYCLE_H
#define SLIPWAY_STORES_LIFECYCLE_H

#include <stdbool.h>

enum submission_status {
    SUB_NONE = -1,   /* refused, or not a status */
    SUB_PENDING,     /* asked for; nothing sent to the store yet */
    SUB_PROCESSING,  /* App Store: the build is still processing */
    SUB_SUBMITTED,   /* sent for review (App Store: WAITING_FOR_REVIEW) */
    SUB_IN_REVIEW,   /* the store reviews it */
    SUB_REJECTED,    /* the review said no (statusReason has the store's reason) */
    SUB_APPROVED,    /* approved, waiting to be released (App Store: PENDING_DEVELOPER_RELEASE) */
    SUB_ROLLING_OUT, /* a staged rollout: some users have it (Play inProgress, App Store phased release active) */
    SUB_HALTED,      /* the staged rollout stopped where it was (Play halted, phased release paused) */
    SUB_RELEASED,    /* every user has it (Play completed, App Store READY_FOR_SALE) */
    SUB_FAILED,      /* the store refused the submission (a blocker): statusReason says why */
    SUB__COUNT
};

enum submission_event {
    SEV_PROCESSING, /* the store has the build but is still processing it */
    SEV_SUBMITTED,  /* sent for review */
    SEV_IN_REVIEW,  /* the review began */
    SEV_REJECTED,
    SEV_APPROVED,
    SEV_ROLLOUT,  /* a staged rollout started or moved to another fraction */
    SEV_HALT,     /* the staged rollout stops */
    SEV_RESUME,   /* a halted rollout goes on */
    SEV_COMPLETE, /* released to every user */
    SEV_FAILED,   /* the store refused the submission */
    SEV__COUNT
};

enum submission_status submission_transition(enum submission_status from, enum submission_event event);
/*
 * True once nothing can move the submission any more (REJECTED, FAILED: a
 * new candidate is a new submission). RELEASED moves only by a halt, where
 * the store can halt a release every user has (Play; stores_http.c asks the
 * provider).
 */
bool submission_is_final(enum submission_status s);

/* Names as stored and in the API ("PENDING", ...), and back (SUB_NONE or -1 for unknown text). */
const char *submission_status_name(enum submission_status s);
enum submission_status submission_status_parse(const char *name);
const char *submission_event_name(enum submission_event e); /* "submitted", "rollout", ... */

/* The events an editor may ask for (POST .../submissions/{id}/{storeAction}): rollout, halt, resume, complete. -1 for others. */
int submission_action_parse(const char *action);

#endif
