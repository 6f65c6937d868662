/*
 * schema.h: request bodies described as data.
 *
 * A route names a schema; the router validates the parsed body against it
 * before the handler runs, collecting every problem (missing, unknown,
 * wrong type, too long, not allowed, bad format) into one 400. Integration
 * descriptors reuse struct field for their configuration fields.
 */
#ifndef SLIPWAY_SCHEMA_H
#define SLIPWAY_SCHEMA_H

#include <jansson.h>

#include "core/common.h"
#include "core/err.h"

enum field_kind { FIELD_STRING, FIELD_INT, FIELD_BOOL, FIELD_OBJECT, FIELD_ARRAY };

struct field {
    const char *name;
    enum field_kind kind;
    bool required;
    int64_t min, max;                        /* string length in characters, or integer range; max 0 means no limit */
    const char *const *allowed;              /* NULL-terminated list of allowed strings, or NULL */
    const char *(*check)(const char *value); /* a format check: NULL, or what is wrong */
};

struct schema {
    const struct field *fields;
    size_t count;
};

/* Defines `const struct schema name` (declare it extern in the domain's header) from its fields. */
#define SCHEMA(name, ...)                                                                                                          \
    static const struct field name##_fields[] = {__VA_ARGS__};                                                                     \
    const struct schema name = {name##_fields, ARRAY_LEN(name##_fields)}

/*
 * Validates obj (a JSON object) against s. Unknown keys, missing required
 * keys and bad values each add a detail; any detail makes it ERR_INVALID.
 * A JSON null counts as absent.
 */
enum err_code schema_validate(const struct schema *s, json_t *obj, struct err *err);

/* Format checks for struct field.check. */
const char *check_email(const char *v);
const char *check_printable(const char *v);

/* Number of UTF-8 characters in s (s is valid UTF-8: jansson checked it). */
size_t utf8_length(const char *s);

#endif
