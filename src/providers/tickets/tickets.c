#include "providers/tickets/tickets.h"

#include "providers/fields.h"

static const char *check_template(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    size_t n = text ? strlen(text) : 0;
    free(text);
    return n > 16384 ? "must be at most 16 KiB of JSON" : NULL;
}

const struct field ticket_common_fields[] = {
    BOOL("autoCreateEpics", .def = "false"),
    OBJECT("epicTemplate", check_template, NULL),
};
const size_t ticket_common_count = ARRAY_LEN(ticket_common_fields);
