/*
 * lifecycle.h: the statuses of a release and of a release build, and what
 * moves each from one to another: one enum and one transition table per
 * object, both in lifecycle.c, the only place that decides a status
 * (docs/releases.md draws them).
 *
 * A transition is (status, event) -> status, or REL_NONE when the event is
 * refused in that status (an action answers 409). PAUSED and BLOCKED
 * remember the stage they interrupted (releases.resumeStatus): resume and
 * retry go back to it.
 */
#ifndef SLIPWAY_RELEASES_LIFECYCLE_H
#define SLIPWAY_RELEASES_LIFECYCLE_H

#include <stdbool.h>

enum release_status {
    REL_NONE = -1,  /* refused, or not a status */
    REL_KICKOFF,    /* the release branch and the first candidate's tag are being made */
    REL_BUILDING,   /* the candidate builds on every platform */
    REL_REGRESSION, /* builds done: waiting for approvals, or a new candidate */
    REL_READY,      /* approved: ready to submit to the stores */
    REL_PAUSED,     /* an editor paused it; resume goes back to its stage */
    REL_BLOCKED,    /* a step failed for a reason a retry alone will not fix (statusReason says which) */
    REL_CANCELLED,  /* ended by an editor */
    REL_FINISHED,   /* the final tag is made */
    REL_RELEASED,   /* every platform's build reached every user of its store (docs/stores.md); finish still makes the tag */
    REL__COUNT
};

enum release_event {
    REV_KICKOFF_DONE,   /* branch and first candidate tag exist */
    REV_KICKOFF_FAILED, /* the SCM refused (a branch at another commit, an unknown base) */
    REV_BUILDS_DONE,    /* every platform's build of the candidate succeeded */
    REV_BUILD_FAILED,   /* a build failed */
    REV_APPROVED,       /* the configured approvals are in */
    REV_NEW_CANDIDATE,  /* the branch head is tagged as the next candidate */
    REV_PAUSE,
    REV_RESUME,
    REV_RETRY, /* a blocked stage is tried again */
    REV_CANCEL,
    REV_FINISH,
    REV_RELEASED, /* every platform's store submission is RELEASED (stores.c) */
    REV__COUNT
};

enum build_status {
    BUILD_NONE = -1,
    BUILD_PENDING, /* not triggered yet */
    BUILD_QUEUED,  /* the CI accepted the trigger */
    BUILD_RUNNING,
    BUILD_SUCCEEDED,
    BUILD_FAILED,
    BUILD_CANCELLED,
    BUILD__COUNT
};

enum build_event { BEV_TRIGGERED, BEV_STARTED, BEV_SUCCEEDED, BEV_FAILED, BEV_CANCEL, BEV__COUNT };

/* The status after event in from; stage is the stage PAUSED or BLOCKED left (resume, retry). REL_NONE: refused. */
enum release_status release_transition(enum release_status from, enum release_event event, enum release_status stage);
enum build_status build_transition(enum build_status from, enum build_event event);

/* True for the stages a pause or a block interrupts (KICKOFF, BUILDING, REGRESSION, READY). */
bool release_is_stage(enum release_status s);
/* True once nothing can move the release any more. */
bool release_is_final(enum release_status s);

/* Names as stored and in the API ("KICKOFF", ...), and back (REL_NONE, BUILD_NONE or -1 for unknown text). */
const char *release_status_name(enum release_status s);
enum release_status release_status_parse(const char *name);
const char *release_event_name(enum release_event e); /* "kickoff-done", "pause", ... */
const char *build_status_name(enum build_status s);
enum build_status build_status_parse(const char *name);
const char *build_event_name(enum build_event e);

/* The events an editor may ask for (POST .../releases/{id}/{action}): pause, resume, retry, cancel, new-candidate, finish. -1 for
 * others. */
int release_action_parse(const char *action);

#endif
