/*
 * jsonw.h: a JSON writer straight into a capped buffer (docs/internals/jsonw.md).
 *
 * For answers made of many database rows, where building a jansson tree
 * for every row and dumping it again costs more than the query: the
 * writer appends each value to one struct buf as it comes. It writes what
 * json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER) writes for the same
 * values, byte for byte (strings escaped as jansson escapes them), so a
 * handler can move from a tree to the writer without changing its answer.
 *
 * Errors are sticky: text that is not valid UTF-8 (jansson refuses it as
 * well), or an answer past the cap, marks the writer failed; every call
 * after that does nothing, and response_jsonw answers 500 as response_json
 * does for a body jansson could not build. Commas and colons are the
 * writer's business: the caller says key, value, key, value.
 */
#ifndef SLIPWAY_JSONW_H
#define SLIPWAY_JSONW_H

#include "core/buf.h"
#include "core/common.h"
#include "store/store.h"

struct jsonw {
    struct buf out;
    bool comma;  /* a value ends just before: the next key or element needs a comma first */
    bool failed; /* invalid UTF-8 or over the cap: the text is not an answer */
};

/*
 * The bytes a JSON string holds as they are, either way (jsonpick reads by it too): printable ASCII but '"' and '\\';
 * control characters are escaped, and from 0x80 the bytes of a character of several bytes (UTF-8 checked).
 */
extern const bool jsonw_plain_byte[256];

/* An empty writer whose text may grow to limit bytes. */
void jsonw_init(struct jsonw *w, size_t limit);
void jsonw_free(struct jsonw *w);

void jsonw_object(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/* An object's member name; its value is the next call. */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_string(struct jsonw *w, const char *s);
/* s as a string, or null when s is NULL (json_text_or_null's shape). */
void jsonw_text_or_null(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);

/*
 * A column that already holds JSON (an event's details, a release's
 * platforms), written as json_loads then json_dumps would write it: an
 * object or an array, compact. Validated on write, not trusted: one pass
 * checks the grammar and UTF-8 and drops the whitespace (PostgreSQL's
 * jsonb and MariaDB's JSON answer with spaces); what that pass does not
 * copy as it is (string escapes, non-integer numbers, deep nesting) goes
 * through jansson, so the text is what the tree would have given. One
 * thing is trusted rather than checked: a member name twice in one object
 * is copied twice (jansson keeps the last); slipway never writes one, and
 * jsonb and MariaDB's JSON keep one. NULL,
 * or text that is not a JSON object or array, writes fallback (a literal
 * such as "{}" or "[]") instead.
 */
void jsonw_raw(struct jsonw *w, const char *json, const char *fallback);

/* len bytes of JSON another writer made (one value), copied as they are: trusted, not checked. */
void jsonw_verbatim(struct jsonw *w, const char *text, size_t len);

/* How jsonw_row writes a column. */
enum jsonw_kind {
    JSONW_TEXT, /* a string, or null */
    JSONW_INT,  /* an integer (0 for NULL) */
    JSONW_JSON, /* jsonw_raw with the column's fallback */
};

struct jsonw_col {
    const char *name;
    enum jsonw_kind kind;
    const char *fallback; /* JSONW_JSON only */
};

#define JSONW_TEXT_COL(name)                                                                                                       \
    {                                                                                                                              \
        name, JSONW_TEXT, NULL                                                                                                     \
    }
#define JSONW_INT_COL(name)                                                                                                        \
    {                                                                                                                              \
        name, JSONW_INT, NULL                                                                                                      \
    }
#define JSONW_JSON_COL(name, fallback)                                                                                             \
    {                                                                                                                              \
        name, JSONW_JSON, fallback                                                                                                 \
    }

/* The current row of st as an object's members (inside jsonw_object), column i (of n) under cols[i]. */
void jsonw_columns(struct jsonw *w, struct store_stmt *st, const struct jsonw_col *cols, int n);
/* The same as an object of its own. */
void jsonw_row(struct jsonw *w, struct store_stmt *st, const struct jsonw_col *cols, int n);

#endif
