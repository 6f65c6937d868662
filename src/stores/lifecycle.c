/* lifecycle.c: the store submission transition table (lifecycle.h); docs/stores.md draws it. */
#include "stores/lifecycle.h"

#include <string.h>

#include "core/common.h"

static const char *const status_names[SUB__COUNT] = {"PENDING",  "PROCESSING",  "SUBMITTED", "IN_REVIEW", "REJECTED",
                                                     "APPROVED", "ROLLING_OUT", "HALTED",    "RELEASED",  "FAILED"};
static const char *const event_names[SEV__COUNT] = {"processing", "submitted", "in-review", "rejected", "approved",
                                                    "rollout",    "halt",      "resume",    "complete", "failed"};

/* Every move a submission can make; any other (status, event) is refused. */
static const struct {
    enum submission_status from;
    enum submission_event event;
    enum submission_status to;
} moves[] = {
    {SUB_PENDING, SEV_PROCESSING, SUB_PROCESSING},
    {SUB_PENDING, SEV_SUBMITTED, SUB_SUBMITTED},
    {SUB_PROCESSING, SEV_SUBMITTED, SUB_SUBMITTED},
    {SUB_SUBMITTED, SEV_IN_REVIEW, SUB_IN_REVIEW},
    {SUB_SUBMITTED, SEV_REJECTED, SUB_REJECTED},
    {SUB_IN_REVIEW, SEV_REJECTED, SUB_REJECTED},
    {SUB_SUBMITTED, SEV_APPROVED, SUB_APPROVED},
    {SUB_IN_REVIEW, SEV_APPROVED, SUB_APPROVED},
    {SUB_PENDING, SEV_ROLLOUT, SUB_ROLLING_OUT},  /* Play: the first commit starts the staged rollout */
    {SUB_APPROVED, SEV_ROLLOUT, SUB_ROLLING_OUT}, /* App Store: the phased release starts */
    {SUB_ROLLING_OUT, SEV_ROLLOUT, SUB_ROLLING_OUT},
    {SUB_ROLLING_OUT, SEV_HALT, SUB_HALTED},
    {SUB_HALTED, SEV_RESUME, SUB_ROLLING_OUT},
    {SUB_PENDING, SEV_COMPLETE, SUB_RELEASED}, /* Play: straight to every user */
    {SUB_APPROVED, SEV_COMPLETE, SUB_RELEASED},
    {SUB_ROLLING_OUT, SEV_COMPLETE, SUB_RELEASED},
    {SUB_HALTED, SEV_COMPLETE, SUB_RELEASED},
    {SUB_PENDING, SEV_FAILED, SUB_FAILED},
    {SUB_PROCESSING, SEV_COMPLETE, SUB_RELEASED}, /* Firebase: the build uploaded at last, distributed to its testers */
    {SUB_PROCESSING, SEV_FAILED, SUB_FAILED},
    {SUB_RELEASED, SEV_HALT, SUB_HALTED}, /* Play: a full rollout halted, the previous release back (STORE_HALT_RELEASED) */
};

enum submission_status submission_transition(enum submission_status from, enum submission_event event)
{
    for (size_t i = 0; i < ARRAY_LEN(moves); i++)
        if (moves[i].from == from && moves[i].event == event)
            return moves[i].to;
    return SUB_NONE;
}

bool submission_is_final(enum submission_status s)
{
    return s == SUB_REJECTED || s == SUB_FAILED;
}

static int index_of(const char *const *names, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

const char *submission_status_name(enum submission_status s)
{
    return s >= 0 && s < SUB__COUNT ? status_names[s] : NULL;
}

enum submission_status submission_status_parse(const char *name)
{
    return (enum submission_status)index_of(status_names, SUB__COUNT, name);
}

const char *submission_event_name(enum submission_event e)
{
    return e >= 0 && e < SEV__COUNT ? event_names[e] : NULL;
}

int submission_action_parse(const char *action)
{
    static const enum submission_event actions[] = {SEV_ROLLOUT, SEV_HALT, SEV_RESUME, SEV_COMPLETE};
    for (size_t i = 0; action && i < ARRAY_LEN(actions); i++)
        if (strcmp(event_names[actions[i]], action) == 0)
            return (int)actions[i];
    return -1;
}
