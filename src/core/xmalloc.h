/*
 * xmalloc.h: allocation for long-lived objects. These abort on exhaustion,
 * so callers never check for NULL (Redis's zmalloc, git's xmalloc).
 */
#ifndef SLIPWAY_XMALLOC_H
#define SLIPWAY_XMALLOC_H

#include "core/common.h"

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
