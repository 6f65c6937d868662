#include "core/err.h"

#include <stdarg.h>

#include "core/utf8.h"

static const struct {
    int status;
    const char *name;
} err_table[ERR__COUNT] = {
#define ERR_ROW(name, status, code) [ERR_##name] = {status, code},
    ERR_MAP(ERR_ROW)
#undef ERR_ROW
};

void err_clear(struct err *e)
{
    e->code = ERR_OK;
    e->transient = false;
    e->retry_after = 0;
    e->message[0] = '\0';
    e->ndetails = 0;
}

/*
 * Text formatted into out (size bytes) that did not fit (n bytes wanted): cut
 * after the last whole word that leaves room for an ellipsis, never inside a
 * word, so a client never reads half of one as if it were whole (one long
 * word alone is cut between two characters).
 */
static void cut_at_word(char *out, size_t size, int n)
{
    static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 */
    size_t room = size - sizeof ellipsis, end = room - 1;

    if (n < 0 || (size_t)n < size)
        return;
    while (end > room / 2 && out[end] != ' ')
        end--;
    if (out[end] != ' ')
        end = utf8_prefix(out, strlen(out), room);
    else
        end++; /* keep the space before the ellipsis */
    memcpy(out + end, ellipsis, sizeof ellipsis);
}

enum err_code err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
    va_list ap;
    int n;

    e->code = code;
    va_start(ap, fmt);
    n = vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    cut_at_word(e->message, sizeof e->message, n);
    utf8_scrub(e->message); /* text from the request may be cut, or not UTF-8 at all: the answer must be */
    return code;
}

void err_detail(struct err *e, const char *field, const char *fmt, ...)
{
    va_list ap;
    struct err_detail *d;
    int n;

    if (e->ndetails >= ERR_DETAILS_MAX)
        return;
    d = &e->details[e->ndetails++];
    snprintf(d->field, sizeof d->field, "%s", field);
    utf8_scrub(d->field);
    va_start(ap, fmt);
    n = vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    cut_at_word(d->message, sizeof d->message, n);
    utf8_scrub(d->message);
}

int err_http_status(enum err_code code)
{
    return (unsigned)code < ERR__COUNT ? err_table[code].status : 500;
}

const char *err_code_name(enum err_code code)
{
    return (unsigned)code < ERR__COUNT ? err_table[code].name : "internal";
}
