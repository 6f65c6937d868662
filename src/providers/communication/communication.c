#include "providers/communication/communication.h"

#include "providers/fields.h"

static const char *const notify_events[] = {"release_started",   "build_completed",   "build_failed",
                                            "release_submitted", "release_approved",  "release_rejected",
                                            "rollout_updated",   "release_completed", NULL};

static const char *check_events(json_t *j)
{
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v)
    {
        bool known = false;
        for (const char *const *e = notify_events; *e && !known && json_is_string(v); e++)
            known = strcmp(*e, json_string_value(v)) == 0;
        if (!known)
            return "must be an array of events: release_started, build_completed, build_failed, release_submitted, "
                   "release_approved, release_rejected, rollout_updated, release_completed";
    }
    return NULL;
}

const struct field communication_common_fields[] = {
    ARRAY("notifyOnEvents", false, check_events, "events"),
};
const size_t communication_common_count = ARRAY_LEN(communication_common_fields);
