/*
 * fields.h: how provider files write their fields (struct field, from
 * http/schema.h), and the format checks more than one provider uses. A
 * check a single provider uses lives in its file.
 */
#ifndef SLIPWAY_PROVIDER_FIELDS_H
#define SLIPWAY_PROVIDER_FIELDS_H

#include "http/schema.h"

/* A string field: name, required, length limits, then any other member (.check, .secret, .def, ...). */
#define STR(n, req, lo, hi, ...)                                                                                                   \
    {                                                                                                                              \
        .name = n, .kind = FIELD_STRING, .required = req, .min = lo, .max = hi, __VA_ARGS__                                        \
    }
#define TEXT(n, req, hi) STR(n, req, 1, hi, .check = check_printable)
#define FMT(n, req, hi, fn, fmt) STR(n, req, 1, hi, .check = fn, .format = fmt)
#define SECRET(n, req, hi) STR(n, req, 1, hi, .secret = true)
#define SECRET_FMT(n, req, hi, fn, fmt) STR(n, req, 1, hi, .secret = true, .check = fn, .format = fmt)
#define URL(n, req) FMT(n, req, 512, check_url, "url")
#define EMAIL(n, req) FMT(n, req, 254, check_email, "email")
#define ONE_OF(n, req, list)                                                                                                       \
    {                                                                                                                              \
        .name = n, .kind = FIELD_STRING, .required = req, .allowed = list                                                          \
    }
#define INT(n, req, lo, hi, ...)                                                                                                   \
    {                                                                                                                              \
        .name = n, .kind = FIELD_INT, .required = req, .min = lo, .max = hi, __VA_ARGS__                                           \
    }
#define INTEGER(n, req, lo, hi)                                                                                                    \
    {                                                                                                                              \
        .name = n, .kind = FIELD_INT, .required = req, .min = lo, .max = hi                                                        \
    }
#define BOOL(n, ...)                                                                                                               \
    {                                                                                                                              \
        .name = n, .kind = FIELD_BOOL, __VA_ARGS__                                                                                 \
    }
#define ARRAY(n, req, fn, fmt)                                                                                                     \
    {                                                                                                                              \
        .name = n, .kind = FIELD_ARRAY, .required = req, .check = fn, .format = fmt                                                \
    }
#define OBJECT(n, fn, fmt)                                                                                                         \
    {                                                                                                                              \
        .name = n, .kind = FIELD_OBJECT, .check = fn, .format = fmt                                                                \
    }
/* A provider's own field table, for struct provider. */
#define FIELDS(f) .fields = f, .nfields = ARRAY_LEN(f)

/* True when every character of s is a lower-case letter, an upper-case one or a digit (as allowed), or in extra. */
bool fields_all_chars(const char *s, const char *extra, bool lower, bool upper, bool digits);

/* Format checks for struct field.check: NULL, or what is wrong. */
const char *check_url(json_t *j);            /* http:// or https://, a host, no user name or password, no spaces */
const char *check_uuid(json_t *j);           /* a UUID */
const char *check_time(json_t *j);           /* an RFC 3339 time */
const char *check_printable_text(json_t *j); /* free text: line breaks and tabs allowed, other control characters not */

/* Platforms a target or signing asset is for. */
extern const char *const fields_platforms[];        /* IOS, ANDROID, WEB */
extern const char *const fields_mobile_platforms[]; /* IOS, ANDROID */

#endif
