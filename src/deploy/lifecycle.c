/* lifecycle.c: the step transition table and the deployment aggregation table (lifecycle.h); docs/deployments.md draws them. */
#include "deploy/lifecycle.h"

#include <string.h>

#include "core/common.h"

static const char *const status_names[DEP__COUNT] = {"PENDING",   "RUNNING",          "SUCCEEDED", "FAILED",
                                                     "CANCELLED", "PARTIALLY_FAILED", "SCHEDULED", "AWAITING_APPROVAL"};
static const char *const event_names[DEV__COUNT] = {"start",       "exit-zero", "exit-nonzero", "fail", "cancel",
                                                    "interrupted", "restart",   "timeout",      "due",  "approved"};

/*
 * Every move a step can make, and a deployment before its steps begin
 * (SCHEDULED, AWAITING_APPROVAL: a deployment's own); any other (status,
 * event) is refused. An approved deployment is SCHEDULED: its job moves it
 * to PENDING at its scheduledTime, at once when it has none or it is past.
 */
static const struct {
    enum deploy_status from;
    enum deploy_event event;
    enum deploy_status to;
} moves[] = {
    {DEP_PENDING, DEV_START, DEP_RUNNING},
    {DEP_RUNNING, DEV_EXIT_ZERO, DEP_SUCCEEDED},
    {DEP_RUNNING, DEV_EXIT_NONZERO, DEP_FAILED},
    {DEP_PENDING, DEV_FAIL, DEP_FAILED},
    {DEP_RUNNING, DEV_FAIL, DEP_FAILED},
    {DEP_PENDING, DEV_CANCEL, DEP_CANCELLED},
    {DEP_RUNNING, DEV_CANCEL, DEP_CANCELLED},
    {DEP_RUNNING, DEV_INTERRUPTED, DEP_FAILED},
    {DEP_RUNNING, DEV_RESTART, DEP_RUNNING},
    {DEP_RUNNING, DEV_TIMEOUT, DEP_FAILED},
    {DEP_SCHEDULED, DEV_DUE, DEP_PENDING},
    {DEP_SCHEDULED, DEV_CANCEL, DEP_CANCELLED},
    {DEP_AWAITING_APPROVAL, DEV_APPROVED, DEP_SCHEDULED},
    {DEP_AWAITING_APPROVAL, DEV_CANCEL, DEP_CANCELLED},
};

enum deploy_status deploy_transition(enum deploy_status from, enum deploy_event event)
{
    for (size_t i = 0; i < ARRAY_LEN(moves); i++)
        if (moves[i].from == from && moves[i].event == event)
            return moves[i].to;
    return DEP_NONE;
}

/*
 * A deployment's status from which step statuses are present, the first
 * matching row wins: a row names what must be present (some) and what must
 * be absent (none), as bit sets of statuses.
 */
#define BIT(s) (1u << (s))
static const struct {
    unsigned some, none;
    enum deploy_status to;
} aggregation[] = {
    {BIT(DEP_PARTIALLY_FAILED), 0, DEP_NONE}, /* never a step's */
    {BIT(DEP_SCHEDULED), 0, DEP_NONE},
    {BIT(DEP_AWAITING_APPROVAL), 0, DEP_NONE},
    {BIT(DEP_RUNNING), 0, DEP_RUNNING},                                                         /* a step runs */
    {BIT(DEP_PENDING), BIT(DEP_SUCCEEDED) | BIT(DEP_FAILED) | BIT(DEP_CANCELLED), DEP_PENDING}, /* none began */
    {BIT(DEP_PENDING), 0, DEP_RUNNING},                                                         /* some ended, some wait */
    {BIT(DEP_CANCELLED), 0, DEP_CANCELLED},                                                     /* all ended, cancelled */
    {BIT(DEP_SUCCEEDED), BIT(DEP_FAILED), DEP_SUCCEEDED},
    {BIT(DEP_FAILED), BIT(DEP_SUCCEEDED), DEP_FAILED},
    {BIT(DEP_SUCCEEDED) | BIT(DEP_FAILED), 0, DEP_PARTIALLY_FAILED},
};

enum deploy_status deploy_aggregate(const int steps[DEP__COUNT])
{
    unsigned present = 0;

    for (int s = 0; s < DEP__COUNT; s++)
        if (steps[s] > 0)
            present |= BIT(s);
    for (size_t i = 0; i < ARRAY_LEN(aggregation); i++)
        if ((present & aggregation[i].some) == aggregation[i].some && (present & aggregation[i].none) == 0)
            return aggregation[i].to;
    return DEP_NONE;
}
#undef BIT

bool deploy_is_final(enum deploy_status s)
{
    for (int e = 0; e < DEV__COUNT; e++)
        if (deploy_transition(s, (enum deploy_event)e) != DEP_NONE)
            return false;
    return true;
}

const char *deploy_status_name(enum deploy_status s)
{
    return s >= 0 && s < DEP__COUNT ? status_names[s] : "NONE";
}

enum deploy_status deploy_status_parse(const char *name)
{
    for (int i = 0; name && i < DEP__COUNT; i++)
        if (strcmp(status_names[i], name) == 0)
            return (enum deploy_status)i;
    return DEP_NONE;
}

const char *deploy_event_name(enum deploy_event e)
{
    return e >= 0 && e < DEV__COUNT ? event_names[e] : "none";
}
