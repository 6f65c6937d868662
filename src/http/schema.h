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
#include "core/utf8.h"

enum field_kind { FIELD_STRING, FIELD_INT, FIELD_BOOL, FIELD_OBJECT, FIELD_ARRAY };

struct field {
    const char *name;
    enum field_kind kind;
    bool required;
    int64_t min, max;                    /* string length in characters, or integer range; max 0 means no limit */
    const char *const *allowed;          /* NULL-terminated: the strings allowed (for an array, as its items), or NULL */
    const char *(*check)(json_t *value); /* a format check: NULL, or what is wrong */
    const char *format;                  /* the check's name for clients ("url", "email", ...), or NULL */
    bool secret;                         /* write-only: stored encrypted, never returned */
    const char *def;                     /* JSON text of the value a create assumes when absent, or NULL */
};

struct schema {
    const char *name; /* the C name ("login_schema"), for `slipway routes`; NULL for a provider's */
    const struct field *fields;
    size_t count;
    /*
     * Any JSON object: the handler validates it (bodies whose shape depends
     * on their content). Fields, if any, then only describe the body to
     * clients and tests (`slipway routes`); the router does not apply them.
     */
    bool open;
    bool optional; /* the body may be absent (req->body is then NULL) */
};

/* A JSON object, validated by the handler; the second may also be absent. */
extern const struct schema any_object_schema, optional_object_schema;

/* Defines `const struct schema var` (declare it extern in the domain's header) from its fields. */
#define SCHEMA(var, ...)                                                                                                           \
    static const struct field var##_fields[] = {__VA_ARGS__};                                                                      \
    const struct schema var = {.name = #var, .fields = var##_fields, .count = ARRAY_LEN(var##_fields)}

/* The same for a body its handler validates (open), described by these fields. */
#define OPEN_SCHEMA(var, ...)                                                                                                      \
    static const struct field var##_fields[] = {__VA_ARGS__};                                                                      \
    const struct schema var = {.name = #var, .fields = var##_fields, .count = ARRAY_LEN(var##_fields), .open = true}

/*
 * Validates obj (a JSON object) against s. Unknown keys, missing required
 * keys and bad values each add a detail; any detail makes it ERR_INVALID.
 * A JSON null counts as absent.
 */
enum err_code schema_validate(const struct schema *s, json_t *obj, struct err *err);

/*
 * As schema_validate, but required fields may be absent and format checks
 * are skipped: for a partial update, whose merged result is then validated
 * in full (so each format is checked once).
 */
enum err_code schema_validate_partial(const struct schema *s, json_t *obj, struct err *err);

/* The field called name, or NULL. */
const struct field *schema_field(const struct schema *s, const char *name);

/* An e-mail address is at most EMAIL_MAX characters; a buffer for one holds that many of UTF-8's widest. */
#define EMAIL_MAX 254
#define EMAIL_SIZE (EMAIL_MAX * UTF8_CHAR_MAX + 1)
/*
 * A field described for clients (GET /api/v1/integration-types, `slipway
 * routes`): name, kind, required, secret, limits, allowed values, format,
 * default; every key present, null where it does not apply. Caller owns.
 */
json_t *schema_field_json(const struct field *f);

/* Format checks for struct field.check (each expects a value of the field's kind). */
const char *check_email(json_t *v);
const char *check_printable(json_t *v);
/* The string form of check_email. */
const char *email_problem(const char *v);

#endif
