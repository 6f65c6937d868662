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

enum err_code err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
    va_list ap;

    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    utf8_scrub(e->message); /* text from the request may be cut, or not UTF-8 at all: the answer must be */
    return code;
}

void err_detail(struct err *e, const char *field, const char *fmt, ...)
{
    va_list ap;
    struct err_detail *d;

    if (e->ndetails >= ERR_DETAILS_MAX)
        return;
    d = &e->details[e->ndetails++];
    snprintf(d->field, sizeof d->field, "%s", field);
    utf8_scrub(d->field);
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
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
