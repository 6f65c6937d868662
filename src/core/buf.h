/*
 * buf.h: a growable byte buffer with a hard cap (curl's dynbuf).
 *
 * The cap is fixed at init; an append past it fails and leaves the buffer
 * as it was, so a client cannot make the server grow without bound. The
 * data is always NUL-terminated for convenience (not counted in len).
 */
#ifndef SLIPWAY_BUF_H
#define SLIPWAY_BUF_H

#include <stdarg.h>

#include "core/common.h"

struct buf {
    char *data; /* owned; NULL until the first append */
    size_t len, alloc, limit;
};

void buf_init(struct buf *b, size_t limit);
void buf_free(struct buf *b);
/* Returns 0, or -1 when the result would exceed the limit. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_appends(struct buf *b, const char *s);
/* Appends formatted text; -1 (and the buffer as it was) when it would exceed the limit. */
int buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);

#endif
