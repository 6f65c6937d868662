#include "providers/communication/communication.h"

#include "events/catalog.h"
#include "providers/fields.h"

const struct field communication_common_fields[] = {
    /* each one a dotted name of the event catalogue or an alias of one (events/catalog.h) */
    {.name = "notifyOnEvents", .kind = FIELD_ARRAY, .allowed = events_names_and_aliases, .format = "events"},
};
const size_t communication_common_count = ARRAY_LEN(communication_common_fields);
