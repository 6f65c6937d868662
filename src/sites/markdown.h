/*
 * markdown.h: a post's Markdown as HTML, by libcmark (CommonMark's reference
 * implementation), safe: raw HTML is dropped (cmark writes a comment in its
 * place) and links and images whose URL is javascript:, vbscript:, file: or
 * data: (but data:image/png|gif|jpeg|webp for images) lose their URL. This
 * is cmark's default since 0.29 (CMARK_OPT_SAFE before it); slipway never
 * passes CMARK_OPT_UNSAFE.
 */
#ifndef SLIPWAY_MARKDOWN_H
#define SLIPWAY_MARKDOWN_H

#include "core/common.h"

/* The HTML of len bytes of Markdown (UTF-8; invalid bytes become U+FFFD). Caller frees. */
char *markdown_html(const char *md, size_t len);

/* Appends s HTML-escaped (&, <, >, ", ') to b; -1 when b's cap is reached. */
struct buf;
int html_escape(struct buf *b, const char *s);

#endif
