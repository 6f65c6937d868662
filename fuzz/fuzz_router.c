/*
 * fuzz_router.c: the router's matcher, and its compiler of patterns.
 *
 * Input: the first byte picks the mode.
 *  - even: "METHOD PATH" is matched against slipway's own route table. A
 *    match must be exact: the pattern with its {params} replaced by the
 *    captured values gives back the path, and no value is empty or holds
 *    a '/'. A 405 names at least one allowed method.
 *  - odd: the lines are patterns of a made-up table (router_new must
 *    refuse a malformed one with an error, never crash); the last line is
 *    then matched against it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "core/arena.h"
#include "http/router.h"
#include "routes.h"

#define MAX_INPUT 4096
#define MAX_PATTERNS 16

static enum err_code noop(struct request *req, struct err *err)
{
    (void)req;
    (void)err;
    return ERR_OK;
}

/* The pattern with every {param} replaced by its captured value. */
static void rebuild(const struct route_match *m, char *out, size_t size)
{
    const char *p = m->route->pattern;
    size_t used = 0;
    int param = 0;

    while (*p && used + 1 < size) {
        if (*p == '{') {
            const char *v = m->values[param++];
            size_t n = strlen(v);
            if (used + n >= size)
                break;
            memcpy(out + used, v, n);
            used += n;
            p = strchr(p, '}') + 1;
        } else {
            out[used++] = *p++;
        }
    }
    out[used] = '\0';
}

static void match_real(const char *text)
{
    static struct router *r;
    struct err err;
    struct route_match m;
    struct arena *a;
    char method[16], rebuilt[MAX_INPUT * 2];
    const char *space = strchr(text, ' ');
    const char *path = space ? space + 1 : text;
    size_t mlen = space ? (size_t)(space - text) : 0;

    if (!r) {
        r = router_new(routes, routes_count, &err);
        CHECK(r);
    }
    if (mlen >= sizeof method)
        return;
    memcpy(method, text, mlen);
    method[mlen] = '\0';
    a = arena_new();
    switch (router_match(r, a, method, path, &m)) {
    case ERR_OK: {
        int braces = 0;
        CHECK(m.route && strcmp(m.route->method, method) == 0);
        for (const char *p = m.route->pattern; *p; p++)
            braces += *p == '{';
        CHECK(m.nparams == braces);
        for (int i = 0; i < m.nparams; i++)
            CHECK(m.values[i][0] != '\0' && !strchr(m.values[i], '/'));
        rebuild(&m, rebuilt, sizeof rebuilt);
        CHECK(strcmp(rebuilt, path) == 0);
        break;
    }
    case ERR_METHOD:
        CHECK(!m.route && m.allow[0] != '\0');
        break;
    default:
        CHECK(!m.route);
        break;
    }
    arena_destroy(a);
}

static void made_up_table(char *text)
{
    struct route table[MAX_PATTERNS];
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    char *lines[MAX_PATTERNS + 1];
    size_t n = 0;
    struct err err;

    for (char *line = text; line && n < ARRAY_LEN(lines);) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lines[n++] = line;
        line = nl ? nl + 1 : NULL;
    }
    if (n < 2)
        return;
    for (size_t i = 0; i + 1 < n; i++)
        table[i] =
            (struct route){methods[i % ARRAY_LEN(methods)], lines[i], 0 /* the access class: opaque to the router */, NULL, noop};
    err_clear(&err);
    struct router *r = router_new(table, n - 1, &err);
    if (!r) {
        CHECK(err.code != ERR_OK && err.message[0] != '\0');
        return;
    }
    struct arena *a = arena_new();
    struct route_match m;
    for (size_t i = 0; i < ARRAY_LEN(methods); i++)
        if (router_match(r, a, methods[i], lines[n - 1], &m) == ERR_OK)
            CHECK(m.route && m.nparams <= REQUEST_PARAMS_MAX);
    arena_destroy(a);
    router_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size < 1 || size > MAX_INPUT)
        return 0;
    text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0'; /* the server hands the router a NUL-terminated path */
    if (data[0] & 1)
        made_up_table(text);
    else
        match_real(text);
    free(text);
    return 0;
}
