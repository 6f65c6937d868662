/* markdown.c: Markdown to safe HTML through libcmark (markdown.h). */
#include "sites/markdown.h"

#include <cmark.h>

#include "core/buf.h"

char *markdown_html(const char *md, size_t len)
{
    /* CMARK_OPT_SAFE is a no-op kept for old callers: safety is the default; say it anyway for cmark before 0.29. */
    return cmark_markdown_to_html(md, len, CMARK_OPT_DEFAULT | CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8);
}

int html_escape(struct buf *b, const char *s)
{
    const char *run = s;

    for (; *s; s++) {
        const char *rep;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        if (buf_append(b, run, (size_t)(s - run)) || buf_appends(b, rep))
            return -1;
        run = s + 1;
    }
    return buf_append(b, run, (size_t)(s - run));
}
