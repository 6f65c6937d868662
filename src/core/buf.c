#include "core/buf.h"

#include "core/xmalloc.h"

void buf_init(struct buf *b, size_t limit)
{
    b->data = NULL;
    b->len = b->alloc = 0;
    b->limit = limit;
}

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b, b->limit);
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (n > b->limit || b->len > b->limit - n)
        return -1;
    if (b->len + n + 1 > b->alloc) {
        size_t want = b->alloc ? b->alloc : 256;
        while (want < b->len + n + 1)
            want *= 2;
        if (want > b->limit + 1)
            want = b->limit + 1;
        b->data = xrealloc(b->data, want);
        b->alloc = want;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_appends(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    char small[256], *text = small;
    va_list again;
    int n, rc;

    va_copy(again, ap);
    n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(again);
        return -1;
    }
    if ((size_t)n >= sizeof small) {
        if ((size_t)n > b->limit - b->len) { /* too long anyway: no need to format it */
            va_end(again);
            return -1;
        }
        text = xmalloc((size_t)n + 1);
        vsnprintf(text, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    rc = buf_append(b, text, (size_t)n);
    if (text != small)
        free(text);
    return rc;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}
