#include "http/jsonw.h"

#include <jansson.h>

#include "core/utf8.h"

/* Nesting the one-pass copy of jsonw_raw takes itself; deeper text goes through jansson. */
#define RAW_DEPTH 32
/* Digits of an integer the one-pass copy takes as it is (jansson's json_int_t holds every 18-digit one). */
#define RAW_DIGITS 18

void jsonw_init(struct jsonw *w, size_t limit)
{
    buf_init(&w->out, limit);
    w->comma = false;
    w->failed = false;
}

void jsonw_free(struct jsonw *w)
{
    buf_free(&w->out);
}

static void put(struct jsonw *w, const char *p, size_t n)
{
    struct buf *b = &w->out;

    if (w->failed)
        return;
    if (n < b->alloc - b->len) { /* room already, the NUL included (buf never allocates past its limit) */
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else if (buf_append(b, p, n)) {
        w->failed = true;
    }
}

/* Before a value or a key: the comma that separates it from the one before. */
static void next(struct jsonw *w)
{
    if (w->comma)
        put(w, ",", 1);
    w->comma = true;
}

static void opening(struct jsonw *w, char c)
{
    next(w);
    put(w, &c, 1);
    w->comma = false;
}

static void closing(struct jsonw *w, char c)
{
    put(w, &c, 1);
    w->comma = true;
}

void jsonw_object(struct jsonw *w)
{
    opening(w, '{');
}

void jsonw_object_end(struct jsonw *w)
{
    closing(w, '}');
}

void jsonw_array(struct jsonw *w)
{
    opening(w, '[');
}

void jsonw_array_end(struct jsonw *w)
{
    closing(w, ']');
}

/* A byte a string copies as it is: printable ASCII but '"' and '\\' (jansson escapes nothing else without flags). */
#define ROW16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
/* One row of the table a line: */
/* clang-format off */
const bool jsonw_plain_byte[256] = {
    ROW16(false), ROW16(false), /* 0x00, 0x10: control characters */
    true, true, false, true, true, true, true, true, true, true, true, true, true, true, true, true, /* 0x20: '"' */
    ROW16(true), ROW16(true),   /* 0x30, 0x40 */
    true, true, true, true, true, true, true, true, true, true, true, true, false, true, true, true, /* 0x50: '\\' */
    ROW16(true), ROW16(true),   /* 0x60, 0x70; from 0x80 (false, left out) the bytes of characters of several bytes */
};
/* clang-format on */

static inline bool plain(unsigned char c)
{
    return jsonw_plain_byte[c];
}

/*
 * s quoted and escaped as jansson's dump_string escapes without flags, then
 * ':' for a key; false (the buffer as it was) when s is not UTF-8. Most
 * strings (ids, times, names, every key) need no escape: those are copied in
 * one piece, found by a table look-up a byte.
 */
static bool quote(struct jsonw *w, const char *s, bool key)
{
    static const char *const named[0x20] = {['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t"};
    struct buf *b = &w->out;
    size_t mark = b->len, n = 0, need;
    const char *p, *end;

    while (plain((unsigned char)s[n]))
        n++;
    need = n + 2 + key;
    if (!s[n] && !w->failed && need < b->alloc - b->len) {
        char *o = b->data + b->len;
        *o++ = '"';
        memcpy(o, s, n);
        o += n;
        *o++ = '"';
        if (key)
            *o++ = ':';
        *o = '\0';
        b->len += need;
        return true;
    }
    put(w, "\"", 1);
    put(w, s, n);
    for (p = s + n, end = p + strlen(p); p < end;) {
        const char *run = p;
        unsigned char c;
        uint32_t cp;
        int len;

        while (p < end && plain((unsigned char)*p))
            p++;
        put(w, run, (size_t)(p - run));
        if (p == end)
            break;
        c = (unsigned char)*p;
        if (c >= 0x80) { /* a character of several bytes, copied once checked */
            if (!(len = utf8_decode(p, (size_t)(end - p), &cp))) {
                b->len = mark;
                if (b->data)
                    b->data[mark] = '\0';
                return false;
            }
            put(w, p, (size_t)len);
            p += len;
        } else if (c == '"' || c == '\\') {
            put(w, c == '"' ? "\\\"" : "\\\\", 2);
            p++;
        } else if (named[c]) {
            put(w, named[c], 2);
            p++;
        } else {
            char hex[8];
            snprintf(hex, sizeof hex, "\\u%04X", c);
            put(w, hex, 6);
            p++;
        }
    }
    put(w, key ? "\":" : "\"", key ? 2 : 1);
    return true;
}

void jsonw_key(struct jsonw *w, const char *key)
{
    next(w);
    if (!quote(w, key, true))
        w->failed = true;
    w->comma = false;
}

void jsonw_string(struct jsonw *w, const char *s)
{
    next(w);
    if (!quote(w, s, false))
        w->failed = true;
}

void jsonw_text_or_null(struct jsonw *w, const char *s)
{
    if (s)
        jsonw_string(w, s);
    else
        jsonw_null(w);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
    char digits[24], *p = digits + sizeof digits;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    next(w);
    put(w, p, (size_t)(digits + sizeof digits - p));
}

void jsonw_bool(struct jsonw *w, bool v)
{
    next(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *w)
{
    next(w);
    put(w, "null", 4);
}

/* ---- jsonw_raw's one pass: copies what jansson would write back unchanged, else says no ---- */

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

/* A string without escapes or control characters, valid UTF-8; the text after it, or NULL. */
static const char *raw_string(struct jsonw *w, const char *p)
{
    const char *s = p++;

    for (;;) {
        uint32_t cp;
        int n;
        while (plain((unsigned char)*p))
            p++;
        if (*p == '"')
            break;
        if ((unsigned char)*p < 0x80) /* the end of the text, a control character, or an escape jansson may write otherwise */
            return NULL;
        if (!(n = utf8_decode(p, UTF8_CHAR_MAX, &cp))) /* a NUL stops the decoding before the text ends */
            return NULL;
        p += n;
    }
    put(w, s, (size_t)(++p - s));
    return p;
}

/* An integer jansson writes back as it is: no leading zero, no "-0", at most RAW_DIGITS digits. */
static const char *raw_number(struct jsonw *w, const char *p)
{
    const char *s = p, *d;

    if (*p == '-')
        p++;
    d = p;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == d || p - d > RAW_DIGITS || (*d == '0' && (p - d > 1 || s != d)) || *p == '.' || *p == 'e' || *p == 'E')
        return NULL;
    put(w, s, (size_t)(p - s));
    return p;
}

static const char *raw_value(struct jsonw *w, const char *p, int depth);

/* An object or array at p ('{' or '['); the text after it, or NULL. */
static const char *raw_container(struct jsonw *w, const char *p, int depth)
{
    char end = *p == '{' ? '}' : ']';
    bool object = *p == '{';

    if (depth > RAW_DEPTH)
        return NULL;
    put(w, p, 1);
    p = skip_space(p + 1);
    if (*p == end) {
        put(w, p, 1);
        return p + 1;
    }
    for (;;) {
        if (object) {
            if (*p != '"' || !(p = raw_string(w, p)))
                return NULL;
            p = skip_space(p);
            if (*p != ':')
                return NULL;
            put(w, ":", 1);
            p = skip_space(p + 1);
        }
        if (!(p = raw_value(w, p, depth + 1)))
            return NULL;
        p = skip_space(p);
        if (*p == end) {
            put(w, p, 1);
            return p + 1;
        }
        if (*p != ',')
            return NULL;
        put(w, ",", 1);
        p = skip_space(p + 1);
    }
}

static const char *raw_value(struct jsonw *w, const char *p, int depth)
{
    static const char *const words[] = {"true", "false", "null"};

    if (*p == '{' || *p == '[')
        return raw_container(w, p, depth);
    if (*p == '"')
        return raw_string(w, p);
    if (*p == '-' || (*p >= '0' && *p <= '9'))
        return raw_number(w, p);
    for (size_t i = 0; i < ARRAY_LEN(words); i++) {
        size_t n = strlen(words[i]);
        if (strncmp(p, words[i], n) == 0) {
            put(w, p, n);
            return p + n;
        }
    }
    return NULL;
}

/* Through jansson, as the tree-built answer did: false when json_loads refuses the text. */
static bool raw_jansson(struct jsonw *w, const char *json)
{
    json_t *j = json_loads(json, 0, NULL);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    json_decref(j);
    if (text)
        put(w, text, strlen(text));
    free(text);
    return text != NULL;
}

void jsonw_raw(struct jsonw *w, const char *json, const char *fallback)
{
    size_t mark;
    const char *p;

    next(w);
    if (w->failed)
        return;
    mark = w->out.len;
    p = json ? skip_space(json) : NULL;
    if (p && (*p == '{' || *p == '[') && (p = raw_container(w, p, 0)) && !*skip_space(p))
        return;
    if (w->failed) /* over the cap: no second try */
        return;
    w->out.len = mark; /* what the pass copied before it said no */
    if (w->out.data)
        w->out.data[mark] = '\0';
    if (!json || !raw_jansson(w, json))
        put(w, fallback, strlen(fallback));
}

void jsonw_verbatim(struct jsonw *w, const char *text, size_t len)
{
    next(w);
    put(w, text, len);
}

void jsonw_columns(struct jsonw *w, struct store_stmt *st, const struct jsonw_col *cols, int n)
{
    for (int i = 0; i < n; i++) {
        jsonw_key(w, cols[i].name);
        if (cols[i].kind == JSONW_INT)
            jsonw_int(w, store_col_int(st, i));
        else if (cols[i].kind == JSONW_JSON)
            jsonw_raw(w, store_col_text(st, i), cols[i].fallback);
        else
            jsonw_text_or_null(w, store_col_text(st, i));
    }
}

void jsonw_row(struct jsonw *w, struct store_stmt *st, const struct jsonw_col *cols, int n)
{
    jsonw_object(w);
    jsonw_columns(w, st, cols, n);
    jsonw_object_end(w);
}
