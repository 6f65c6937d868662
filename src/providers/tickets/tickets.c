#include "providers/tickets/tickets.h"

#include <ctype.h>
#include <string.h>

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

/* tickets.h. */
json_t *tickets_issue_keys(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    json_t *keys = json_array(), *v;
    char key[64];
    bool seen;
    size_t i;

    for (const char *p = text && n > 1 ? strstr(text, prefix) : NULL; p; p = strstr(p + 1, prefix)) {
        size_t digits = strspn(p + n, "0123456789");
        if ((p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '-')) || digits == 0 || digits > 9 ||
            isalnum((unsigned char)p[n + digits]) || n + digits >= sizeof key)
            continue;
        snprintf(key, sizeof key, "%.*s", (int)(n + digits), p);
        seen = false;
        json_array_foreach(keys, i, v) seen = seen || strcmp(json_string_value(v), key) == 0;
        if (!seen)
            json_array_append_new(keys, json_string(key));
    }
    return keys;
}

/* tickets.h. */
json_t *tickets_link_keys(const json_t *input, const char *prefix)
{
    json_t *keys = tickets_issue_keys(json_string_value(json_object_get(input, "notes")), prefix), *v;
    size_t i, j;

    for (i = json_array_size(keys); i-- > 0;)
        json_array_foreach(json_object_get(input, "skip"), j, v)
        {
            if (json_is_string(v) && strcmp(json_string_value(v), json_string_value(json_array_get(keys, i))) == 0) {
                json_array_remove(keys, i);
                break;
            }
        }
    return keys;
}
