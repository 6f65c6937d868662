/* lifecycle.c: the release and build transition tables (lifecycle.h); docs/releases.md draws them. */
#include "releases/lifecycle.h"

#include <string.h>

#include "core/common.h"

#define STAGE (REL__COUNT) /* a cell that goes back to the interrupted stage */

static const char *const release_names[REL__COUNT] = {"KICKOFF", "BUILDING",  "REGRESSION", "READY",   "PAUSED",
                                                      "BLOCKED", "CANCELLED", "FINISHED",   "RELEASED"};
static const char *const event_names[REV__COUNT] = {"kickoff-done", "kickoff-failed", "builds-done", "build-failed",
                                                    "approved",     "new-candidate",  "pause",       "resume",
                                                    "retry",        "cancel",         "finish",      "released"};

/* Every move a release can make; any other (status, event) is refused. STAGE: back to the interrupted stage. */
static const struct {
    enum release_status from;
    enum release_event event;
    int to;
} release_moves[] = {
    {REL_KICKOFF, REV_KICKOFF_DONE, REL_BUILDING},
    {REL_KICKOFF, REV_KICKOFF_FAILED, REL_BLOCKED},
    {REL_BUILDING, REV_BUILDS_DONE, REL_REGRESSION},
    {REL_BUILDING, REV_BUILD_FAILED, REL_BLOCKED},
    {REL_REGRESSION, REV_APPROVED, REL_READY},
    {REL_REGRESSION, REV_NEW_CANDIDATE, REL_BUILDING},
    {REL_READY, REV_NEW_CANDIDATE, REL_BUILDING},
    {REL_READY, REV_FINISH, REL_FINISHED},
    {REL_KICKOFF, REV_PAUSE, REL_PAUSED},
    {REL_BUILDING, REV_PAUSE, REL_PAUSED},
    {REL_REGRESSION, REV_PAUSE, REL_PAUSED},
    {REL_READY, REV_PAUSE, REL_PAUSED},
    {REL_PAUSED, REV_RESUME, STAGE},
    {REL_BLOCKED, REV_RETRY, STAGE},
    {REL_KICKOFF, REV_CANCEL, REL_CANCELLED},
    {REL_BUILDING, REV_CANCEL, REL_CANCELLED},
    {REL_REGRESSION, REV_CANCEL, REL_CANCELLED},
    {REL_READY, REV_CANCEL, REL_CANCELLED},
    {REL_PAUSED, REV_CANCEL, REL_CANCELLED},
    {REL_BLOCKED, REV_CANCEL, REL_CANCELLED},
    /* The stores (docs/stores.md): READY until every platform's build is with every user of its store; then only the final tag is
       left. */
    {REL_READY, REV_RELEASED, REL_RELEASED},
    {REL_RELEASED, REV_FINISH, REL_FINISHED},
};

enum release_status release_transition(enum release_status from, enum release_event event, enum release_status stage)
{
    for (size_t i = 0; i < ARRAY_LEN(release_moves); i++)
        if (release_moves[i].from == from && release_moves[i].event == event) {
            if (release_moves[i].to != STAGE)
                return (enum release_status)release_moves[i].to;
            return release_is_stage(stage) ? stage : REL_NONE;
        }
    return REL_NONE;
}

static const char *const build_names[BUILD__COUNT] = {"PENDING", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"};
static const char *const build_event_names[BEV__COUNT] = {"triggered", "started", "succeeded", "failed", "cancel"};

/* Every move a build can make; any other is refused. A failed build is retried as a new build (attempt + 1). */
static const struct {
    enum build_status from;
    enum build_event event;
    enum build_status to;
} build_moves[] = {
    {BUILD_PENDING, BEV_TRIGGERED, BUILD_QUEUED},   {BUILD_QUEUED, BEV_STARTED, BUILD_RUNNING},
    {BUILD_QUEUED, BEV_SUCCEEDED, BUILD_SUCCEEDED}, {BUILD_RUNNING, BEV_SUCCEEDED, BUILD_SUCCEEDED},
    {BUILD_PENDING, BEV_FAILED, BUILD_FAILED},      {BUILD_QUEUED, BEV_FAILED, BUILD_FAILED},
    {BUILD_RUNNING, BEV_FAILED, BUILD_FAILED},      {BUILD_PENDING, BEV_CANCEL, BUILD_CANCELLED},
    {BUILD_QUEUED, BEV_CANCEL, BUILD_CANCELLED},    {BUILD_RUNNING, BEV_CANCEL, BUILD_CANCELLED},
};

enum build_status build_transition(enum build_status from, enum build_event event)
{
    for (size_t i = 0; i < ARRAY_LEN(build_moves); i++)
        if (build_moves[i].from == from && build_moves[i].event == event)
            return build_moves[i].to;
    return BUILD_NONE;
}

bool release_is_stage(enum release_status s)
{
    return s == REL_KICKOFF || s == REL_BUILDING || s == REL_REGRESSION || s == REL_READY;
}

bool release_is_final(enum release_status s)
{
    return s == REL_CANCELLED || s == REL_FINISHED;
}

static int index_of(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

const char *release_status_name(enum release_status s)
{
    return s >= 0 && s < REL__COUNT ? release_names[s] : NULL;
}

enum release_status release_status_parse(const char *name)
{
    return (enum release_status)index_of(release_names, REL__COUNT, name);
}

const char *release_event_name(enum release_event e)
{
    return e >= 0 && e < REV__COUNT ? event_names[e] : NULL;
}

const char *build_status_name(enum build_status s)
{
    return s >= 0 && s < BUILD__COUNT ? build_names[s] : NULL;
}

enum build_status build_status_parse(const char *name)
{
    return (enum build_status)index_of(build_names, BUILD__COUNT, name);
}

const char *build_event_name(enum build_event e)
{
    return e >= 0 && e < BEV__COUNT ? build_event_names[e] : NULL;
}

int release_action_parse(const char *action)
{
    static const enum release_event actions[] = {REV_PAUSE, REV_RESUME, REV_RETRY, REV_CANCEL, REV_NEW_CANDIDATE, REV_FINISH};
    for (size_t i = 0; action && i < ARRAY_LEN(actions); i++)
        if (strcmp(event_names[actions[i]], action) == 0)
            return (int)actions[i];
    return -1;
}
