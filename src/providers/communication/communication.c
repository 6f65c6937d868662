#include "providers/communication/communication.h"

#include "providers/fields.h"

static const char *const notify_events[] = {"release_started",   "build_completed",   "build_failed",
                                            "release_submitted", "release_approved",  "release_rejected",
                                            "rollout_updated",   "release_completed", NULL};

const struct field communication_common_fields[] = {
    {.name = "notifyOnEvents", .kind = FIELD_ARRAY, .allowed = notify_events, .format = "events"}, /* each one of them */
};
const size_t communication_common_count = ARRAY_LEN(communication_common_fields);
