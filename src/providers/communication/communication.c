#include "providers/communication/communication.h"

#include "events/catalog.h"
#include "providers/fields.h"

const struct field communication_common_fields[] = {
    /* each one an alias of the event catalogue (events/catalog.h) */
    {.name = "notifyOnEvents", .kind = FIELD_ARRAY, .allowed = events_aliases, .format = "events"},
};
const size_t communication_common_count = ARRAY_LEN(communication_common_fields);
