#include "http/framing.h"

#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

#include "core/xmalloc.h"

/*
 * What libmicrohttpd leaves after each string of the head, before the next:
 *   METHOD  "\0" (the space), then any spaces it skipped before the target;
 *   TARGET  "\0" (the space before the version): the target's own bytes
 *           were measured before they were rewritten;
 *   NAME    "\0" (the colon), then the blanks before the value;
 *   LINE    a version or a value: "\0\0" (CRLF) or "\0" (a bare LF); after
 *           the last one also the empty line, so two to four NULs.
 * Anything else in a gap is text a NUL from the wire hid from the strings.
 * (A NUL right before a bare LF looks like CRLF; it hides nothing.)
 */
enum tail { METHOD, TARGET, NAME, LINE };

struct span {
    const char *start;
    size_t len;
    enum tail tail;
};

struct walk {
    struct span *spans;
    size_t n, cap;
    int content_length, transfer_encoding;
    bool bad_length, blank_name;
};

static void add(struct walk *w, const char *start, size_t len, enum tail tail)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->spans = xrealloc(w->spans, w->cap * sizeof *w->spans);
    }
    w->spans[w->n++] = (struct span){start, len, tail};
}

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct walk *w = cls;

    UNUSED(kind);
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        w->content_length++;
        w->bad_length |= !value || value[0] == '\0' || strspn(value, "0123456789") != strlen(value);
    }
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
        w->transfer_encoding++;
    w->blank_name |= key[0] == '\0' || strpbrk(key, " \t") != NULL;
    add(w, key, strlen(key), NAME);
    if (value)
        add(w, value, strlen(value), LINE);
    return MHD_YES;
}

static int by_start(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const struct span *)a)->start, y = (uintptr_t)((const struct span *)b)->start;
    return x < y ? -1 : x > y;
}

/* Whether the bytes [p, end) are what libmicrohttpd leaves after a string of this kind. */
static bool gap_sound(const char *p, const char *end, enum tail tail, bool last)
{
    size_t nuls = 0;

    while (p < end && *p == '\0')
        p++, nuls++;
    if (tail == LINE)
        return p == end && (last ? nuls >= 2 && nuls <= 4 : nuls >= 1 && nuls <= 2);
    while (tail != TARGET && p < end && (*p == ' ' || (tail == NAME && *p == '\t')))
        p++;
    return nuls == 1 && p == end;
}

/* True when every string of the head [begin, end) is followed by exactly what libmicrohttpd wrote after it. */
static bool head_sound(struct walk *w, const char *begin, const char *end)
{
    qsort(w->spans, w->n, sizeof w->spans[0], by_start);
    if (w->n == 0 || w->spans[0].start != begin)
        return false;
    for (size_t i = 0; i < w->n; i++) {
        const struct span *s = &w->spans[i];
        const char *next = i + 1 < w->n ? w->spans[i + 1].start : end;
        if ((uintptr_t)s->start + s->len > (uintptr_t)next || (uintptr_t)next > (uintptr_t)end)
            return false;
        if (!gap_sound(s->start + s->len, next, s->tail, i + 1 == w->n))
            return false;
    }
    return true;
}

void framing_target_note(struct framing_target *t, const char *uri)
{
    t->len = uri ? strlen(uri) : 0;
    t->escaped_nul = false;
    for (const char *p = uri ? strchr(uri, '%') : NULL; p; p = strchr(p + 1, '%'))
        if (p[1] == '0' && p[2] == '0') {
            t->escaped_nul = true;
            break;
        }
}

const char *framing_error(struct MHD_Connection *conn, const char *method, const char *url, const char *version,
                          const struct framing_target *target)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    struct walk w = {0};
    const char *why = NULL;

    if (!target || target->escaped_nul)
        return "the request target holds a NUL byte (%00)";
    /* libmicrohttpd ends the target where the version starts: "/path\0HTTP/1.1". */
    if ((uintptr_t)version <= (uintptr_t)url || (size_t)(version - 1 - url) != target->len)
        return "the request target holds a NUL byte";
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect, &w);
    if (w.blank_name)
        why = "a header's name is empty or followed by whitespace before its colon";
    else if (w.content_length > 1)
        why = "Content-Length is given more than once";
    else if (w.content_length && w.transfer_encoding)
        why = "both Content-Length and Transfer-Encoding are given";
    else if (w.bad_length)
        why = "Content-Length is not a decimal number";
    else if (!info) {
        why = "the request's head could not be read";
    } else {
        add(&w, method, strlen(method), METHOD);
        add(&w, url, target->len, TARGET);
        add(&w, version, strlen(version), LINE);
        if (!head_sound(&w, method, method + info->header_size))
            why = "a header holds a NUL byte";
    }
    free(w.spans);
    return why;
}
