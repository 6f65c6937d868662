#include "http/jsonpick.h"

#include <inttypes.h>

#include "core/encode.h"
#include "core/utf8.h"
#include "http/jsonw.h"

#define DEPTH_MAX 32  /* nesting the pass follows; jansson allows 2048 */
#define NAMES_MAX 256 /* member names of the objects open at once, kept to find one named twice */
#define NUMBER_MAX 18 /* characters of a number the pass takes: a longer one may be past what jansson holds */

/* A run of the text: a member name, a path's key. */
struct span {
    const char *s;
    size_t len;
};

/*
 * One pass. Each path is cut into its keys once; while a value is read,
 * want holds the paths whose first level keys are the path of that value
 * (a bit a path), so a member no path goes through is only checked.
 */
struct pick {
    const char *p, *end;
    struct jsonpick_value *out;
    struct span keys[JSONPICK_MAX][JSONPICK_KEYS];
    uint64_t ends_at[JSONPICK_KEYS + 1]; /* the paths of exactly that many keys */
    struct span names[NAMES_MAX];        /* the open objects' member names, innermost last */
    size_t nnames;
};

static void space(struct pick *k)
{
    while (k->p < k->end && (*k->p == ' ' || *k->p == '\t' || *k->p == '\n' || *k->p == '\r'))
        k->p++;
}

/* An escape after its backslash; false where jansson might read it otherwise (\u0000, a surrogate: jansson checks the pair). */
static bool escape(struct pick *k)
{
    unsigned cp = 0;

    if (k->p >= k->end)
        return false;
    if (*k->p && strchr("\"\\/bfnrt", *k->p)) {
        k->p++;
        return true;
    }
    if (*k->p != 'u' || k->end - k->p < 5)
        return false;
    for (int i = 1; i <= 4; i++) {
        int h = hex_value(k->p[i]);
        if (h < 0)
            return false;
        cp = cp << 4 | (unsigned)h;
    }
    k->p += 5;
    return cp != 0 && (cp < 0xd800 || cp > 0xdfff);
}

/* A string at '"': *s its characters between the quotes, *escaped whether an escape is among them. */
static bool string(struct pick *k, struct span *s, bool *escaped)
{
    const char *p = ++k->p;

    *escaped = false;
    for (;;) {
        uint32_t cp;
        int n;
        while (p < k->end && jsonw_plain_byte[(unsigned char)*p])
            p++;
        if (p >= k->end)
            return false;
        if (*p == '"')
            break;
        if (*p == '\\') {
            k->p = p + 1;
            if (!escape(k))
                return false;
            p = k->p;
            *escaped = true;
        } else if ((unsigned char)*p >= 0x80 && (n = utf8_decode(p, (size_t)(k->end - p), &cp)) > 0) {
            p += n;
        } else {
            return false; /* a control character, or bytes that are not UTF-8 */
        }
    }
    *s = (struct span){k->p, (size_t)(p - k->p)};
    k->p = p + 1;
    return true;
}

static const char *digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* A number (RFC 8259's grammar); *integer when it has neither fraction nor exponent. */
static bool number(struct pick *k, struct span *s, bool *integer)
{
    const char *p = k->p, *d;

    if (*p == '-')
        p++;
    d = p;
    p = digits(p, k->end);
    if (p == d || (*d == '0' && p - d > 1))
        return false;
    *integer = true;
    if (p < k->end && *p == '.') {
        d = ++p;
        if ((p = digits(p, k->end)) == d)
            return false;
        *integer = false;
    }
    if (p < k->end && (*p == 'e' || *p == 'E')) {
        if (++p < k->end && (*p == '+' || *p == '-'))
            p++;
        d = p;
        if ((p = digits(p, k->end)) == d || p - d > 2)
            return false;
        *integer = false;
    }
    *s = (struct span){k->p, (size_t)(p - k->p)};
    k->p = p;
    return s->len <= NUMBER_MAX;
}

/* The value of each path in paths (a mask) that ends here. */
static void found(struct pick *k, uint64_t paths, enum jsonpick_type type, const struct span *s)
{
    for (int i = 0; paths; i++, paths >>= 1)
        if (paths & 1)
            k->out[i] = (struct jsonpick_value){.type = type, .text = s ? s->s : NULL, .len = s ? s->len : 0};
}

static bool value(struct pick *k, uint64_t want, int level, int depth);

/* Whether name is already a member of the object whose names start at first. */
static bool named_twice(const struct pick *k, size_t first, const struct span *name)
{
    for (size_t i = first; i < k->nnames; i++)
        if (k->names[i].len == name->len && memcmp(k->names[i].s, name->s, name->len) == 0)
            return true;
    return false;
}

/* The paths of want whose key at level is name. */
static uint64_t through(const struct pick *k, uint64_t want, int level, const struct span *name)
{
    uint64_t sub = 0;

    if (level >= JSONPICK_KEYS)
        return 0;
    for (int i = 0; want >> i; i++) {
        const struct span *key = &k->keys[i][level];
        if ((want >> i & 1) && key->len == name->len && memcmp(key->s, name->s, name->len) == 0)
            sub |= UINT64_C(1) << i;
    }
    return sub;
}

/* An object at '{', whose path is level keys long; want: the paths that go on into it. */
static bool object(struct pick *k, uint64_t want, int level, int depth)
{
    size_t first = k->nnames;
    struct span name;
    bool escaped;

    k->p++;
    space(k);
    if (k->p < k->end && *k->p == '}') {
        k->p++;
        return true;
    }
    for (;;) {
        /* A name with an escape is compared with the others only as jansson decodes it. */
        if (k->p >= k->end || *k->p != '"' || !string(k, &name, &escaped) || escaped || named_twice(k, first, &name) ||
            k->nnames == NAMES_MAX)
            return false;
        k->names[k->nnames++] = name;
        space(k);
        if (k->p >= k->end || *k->p != ':')
            return false;
        k->p++;
        space(k);
        if (!value(k, through(k, want, level, &name), level + 1, depth + 1))
            return false;
        space(k);
        if (k->p >= k->end)
            return false;
        if (*k->p == '}')
            break;
        if (*k->p++ != ',')
            return false;
        space(k);
    }
    k->p++;
    k->nnames = first;
    return true;
}

/* An array at '[': no path goes into one. */
static bool array(struct pick *k, int depth)
{
    k->p++;
    space(k);
    if (k->p < k->end && *k->p == ']') {
        k->p++;
        return true;
    }
    for (;;) {
        if (!value(k, 0, JSONPICK_KEYS + 1, depth + 1))
            return false;
        space(k);
        if (k->p >= k->end)
            return false;
        if (*k->p == ']')
            break;
        if (*k->p++ != ',')
            return false;
        space(k);
    }
    k->p++;
    return true;
}

static bool literal(struct pick *k, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(k->end - k->p) < n || memcmp(k->p, word, n) != 0)
        return false;
    k->p += n;
    return true;
}

/* A value whose path is level keys long; want: the paths that reach it (those of level keys end here). */
static bool value(struct pick *k, uint64_t want, int level, int depth)
{
    uint64_t here = level <= JSONPICK_KEYS ? want & k->ends_at[level] : 0;
    struct span s;
    bool flag;

    if (depth > DEPTH_MAX || k->p >= k->end)
        return false;
    switch (*k->p) {
    case '{':
        found(k, here, JSONPICK_OBJECT, NULL);
        return object(k, want & ~here, level, depth);
    case '[':
        found(k, here, JSONPICK_OTHER, NULL);
        return array(k, depth);
    case '"':
        if (!string(k, &s, &flag) || (here && flag)) /* a picked string with an escape: jansson decodes it */
            return false;
        found(k, here, JSONPICK_STRING, &s);
        return true;
    case 't':
    case 'f':
        found(k, here, JSONPICK_OTHER, NULL);
        return literal(k, *k->p == 't' ? "true" : "false");
    case 'n':
        found(k, here, JSONPICK_NULL, NULL);
        return literal(k, "null");
    default:
        if (*k->p != '-' && (*k->p < '0' || *k->p > '9'))
            return false;
        if (!number(k, &s, &flag) || (here && flag && s.len == 2 && s.s[0] == '-' && s.s[1] == '0')) /* jansson prints 0 */
            return false;
        found(k, here, flag ? JSONPICK_INTEGER : JSONPICK_OTHER, flag ? &s : NULL);
        return true;
    }
}

/* Cuts each path into its keys; false for one of more than JSONPICK_KEYS keys or an empty key. */
static bool cut(struct pick *k, const char *const paths[], size_t n)
{
    memset(k->ends_at, 0, sizeof k->ends_at);
    for (size_t i = 0; i < n; i++) {
        const char *p = paths[i];
        int level = 0;
        memset(k->keys[i], 0, sizeof k->keys[i]);
        for (;;) {
            size_t len = strcspn(p, ".");
            if (len == 0 || level == JSONPICK_KEYS)
                return false;
            k->keys[i][level++] = (struct span){p, len};
            if (!p[len])
                break;
            p += len + 1;
        }
        k->ends_at[level] |= UINT64_C(1) << i;
    }
    return true;
}

bool jsonpick(const char *text, size_t len, const char *const paths[], size_t n, struct jsonpick_value out[])
{
    struct pick pick, *k = &pick; /* about 8 KiB of stack */
    bool ok;

    if (n > JSONPICK_MAX)
        return false;
    k->p = text;
    k->end = text + len;
    k->out = out;
    k->nnames = 0;
    for (size_t i = 0; i < n; i++)
        out[i] = (struct jsonpick_value){.type = JSONPICK_ABSENT};
    ok = cut(k, paths, n);
    space(k);
    ok = ok && k->p < k->end && *k->p == '{' && object(k, (UINT64_C(1) << n) - 1, 0, 1);
    if (ok)
        space(k);
    return ok && k->p == k->end;
}

static void from_tree(const json_t *v, struct jsonpick_value *out)
{
    *out = (struct jsonpick_value){.type = JSONPICK_ABSENT};
    if (!v)
        return;
    switch (json_typeof(v)) {
    case JSON_NULL:
        out->type = JSONPICK_NULL;
        break;
    case JSON_STRING:
        *out = (struct jsonpick_value){.type = JSONPICK_STRING, .text = json_string_value(v), .len = json_string_length(v)};
        break;
    case JSON_INTEGER:
        out->type = JSONPICK_INTEGER;
        out->len = (size_t)snprintf(out->digits, sizeof out->digits, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        out->text = out->digits;
        break;
    case JSON_OBJECT:
        out->type = JSONPICK_OBJECT;
        break;
    default:
        out->type = JSONPICK_OTHER;
        break;
    }
}

void jsonpick_tree(const json_t *root, const char *const paths[], size_t n, struct jsonpick_value out[])
{
    for (size_t i = 0; i < n; i++) {
        const json_t *v = root;
        const char *p = paths[i];
        char key[128];
        for (;;) {
            size_t len = strcspn(p, ".");
            snprintf(key, sizeof key, "%.*s", (int)len, p);
            v = json_object_get(v, key); /* NULL for a v that is not an object */
            if (!p[len] || !v)
                break;
            p += len + 1;
        }
        from_tree(v, &out[i]);
    }
}

bool jsonpick_is(const struct jsonpick_value *v, const char *word)
{
    size_t n = strlen(word);
    return v->type == JSONPICK_STRING && v->len == n && memcmp(v->text, word, n) == 0;
}
