#include "http/router.h"

#include "core/xmalloc.h"

/* One distinct pattern and the routes (one per method) that share it. */
struct pattern {
    const char *text;
    int nseg;
    const char *seg[ROUTER_MAX_SEGMENTS]; /* literal text, or the param name for a {param} */
    size_t seglen[ROUTER_MAX_SEGMENTS];
    bool param[ROUTER_MAX_SEGMENTS];
    const struct route *routes[8];
    int nroutes;
};

struct router {
    struct pattern *patterns;
    size_t count;
};

static enum err_code compile(const char *text, struct pattern *p, struct err *err)
{
    const char *s = text;

    memset(p, 0, sizeof *p);
    p->text = text;
    if (*s != '/')
        return err_set(err, ERR_INTERNAL, "route %s: a pattern starts with /", text);
    while (*s == '/') {
        const char *start = ++s;
        size_t len;
        while (*s && *s != '/')
            s++;
        len = (size_t)(s - start);
        if (len == 0) {
            if (*s == '\0' && p->nseg == 0 && start == text + 1)
                break; /* the root "/" */
            return err_set(err, ERR_INTERNAL, "route %s: empty segment", text);
        }
        if (p->nseg == ROUTER_MAX_SEGMENTS)
            return err_set(err, ERR_INTERNAL, "route %s: too many segments", text);
        if (start[0] == '{') {
            if (start[len - 1] != '}' || len < 3 || memchr(start + 1, '{', len - 1))
                return err_set(err, ERR_INTERNAL, "route %s: malformed parameter", text);
            p->param[p->nseg] = true;
            p->seg[p->nseg] = start + 1;
            p->seglen[p->nseg] = len - 2;
        } else {
            if (memchr(start, '{', len) || memchr(start, '}', len))
                return err_set(err, ERR_INTERNAL, "route %s: braces inside a literal segment", text);
            p->seg[p->nseg] = start;
            p->seglen[p->nseg] = len;
        }
        p->nseg++;
    }
    return ERR_OK;
}

/* Same shape: same length and the same literal/parameter layout with equal literals. */
static bool same_shape(const struct pattern *a, const struct pattern *b)
{
    if (a->nseg != b->nseg)
        return false;
    for (int i = 0; i < a->nseg; i++) {
        if (a->param[i] != b->param[i])
            return false;
        if (!a->param[i] && (a->seglen[i] != b->seglen[i] || memcmp(a->seg[i], b->seg[i], a->seglen[i]) != 0))
            return false;
    }
    return true;
}

enum err_code router_check(const struct route *routes, size_t count, struct err *err)
{
    struct router *r = router_new(routes, count, err);
    router_free(r);
    return r ? ERR_OK : err->code;
}

struct router *router_new(const struct route *routes, size_t count, struct err *err)
{
    struct router *r = xcalloc(1, sizeof *r);
    r->patterns = xcalloc(count ? count : 1, sizeof *r->patterns);

    for (size_t i = 0; i < count; i++) {
        const struct route *rt = &routes[i];
        struct pattern p;
        size_t j;

        if (!rt->method || !rt->handler) {
            err_set(err, ERR_INTERNAL, "route %s: needs a method and a handler", rt->pattern);
            goto fail;
        }
        if (compile(rt->pattern, &p, err))
            goto fail;
        for (j = 0; j < r->count; j++) {
            if (!same_shape(&p, &r->patterns[j]))
                continue;
            if (strcmp(p.text, r->patterns[j].text) != 0) {
                err_set(err, ERR_INTERNAL, "routes %s and %s are ambiguous (same shape, different names)", p.text,
                        r->patterns[j].text);
                goto fail;
            }
            break;
        }
        if (j == r->count)
            r->patterns[r->count++] = p;
        struct pattern *dst = &r->patterns[j];
        for (int k = 0; k < dst->nroutes; k++) {
            if (strcmp(dst->routes[k]->method, rt->method) == 0) {
                err_set(err, ERR_INTERNAL, "route %s %s is defined twice", rt->method, rt->pattern);
                goto fail;
            }
        }
        if (dst->nroutes == (int)ARRAY_LEN(dst->routes)) {
            err_set(err, ERR_INTERNAL, "route %s: too many methods", rt->pattern);
            goto fail;
        }
        dst->routes[dst->nroutes++] = rt;
    }
    return r;
fail:
    router_free(r);
    return NULL;
}

void router_free(struct router *r)
{
    if (!r)
        return;
    free(r->patterns);
    free(r);
}

struct segments {
    int n;
    const char *s[ROUTER_MAX_SEGMENTS];
    size_t len[ROUTER_MAX_SEGMENTS];
};

static bool split(const char *path, struct segments *out)
{
    const char *s = path;

    out->n = 0;
    if (*s != '/')
        return false;
    if (strcmp(path, "/") == 0)
        return true;
    while (*s == '/') {
        const char *start = ++s;
        while (*s && *s != '/')
            s++;
        if (s == start || out->n == ROUTER_MAX_SEGMENTS)
            return false;
        out->s[out->n] = start;
        out->len[out->n] = (size_t)(s - start);
        out->n++;
    }
    return *s == '\0';
}

/* Bit i (from the top) is set when segment i is literal: a higher score is more specific. */
static int match_score(const struct pattern *p, const struct segments *segs)
{
    int score = 0;

    if (p->nseg != segs->n)
        return -1;
    for (int i = 0; i < p->nseg; i++) {
        if (p->param[i]) {
            continue;
        }
        if (p->seglen[i] != segs->len[i] || memcmp(p->seg[i], segs->s[i], segs->len[i]) != 0)
            return -1;
        score |= 1 << (ROUTER_MAX_SEGMENTS - 1 - i);
    }
    return score;
}

enum err_code router_match(const struct router *r, struct arena *a, const char *method, const char *path, struct route_match *m)
{
    struct segments segs;
    const struct pattern *best = NULL;
    int best_score = -1;

    memset(m, 0, sizeof *m);
    if (!split(path, &segs))
        return ERR_NOT_FOUND;
    for (size_t i = 0; i < r->count; i++) {
        int score = match_score(&r->patterns[i], &segs);
        if (score > best_score) {
            best_score = score;
            best = &r->patterns[i];
        }
    }
    if (!best)
        return ERR_NOT_FOUND;
    for (int i = 0; i < best->nroutes; i++) {
        if (strcmp(best->routes[i]->method, method) == 0)
            m->route = best->routes[i];
    }
    if (!m->route) {
        size_t used = 0;
        for (int i = 0; i < best->nroutes; i++) {
            int n = snprintf(m->allow + used, sizeof m->allow - used, "%s%s", i ? ", " : "", best->routes[i]->method);
            if (n < 0 || (size_t)n >= sizeof m->allow - used)
                break;
            used += (size_t)n;
        }
        return ERR_METHOD;
    }
    for (int i = 0; i < best->nseg && m->nparams < REQUEST_PARAMS_MAX; i++) {
        if (!best->param[i])
            continue;
        m->names[m->nparams] = arena_strndup(a, best->seg[i], best->seglen[i]);
        m->values[m->nparams] = arena_strndup(a, segs.s[i], segs.len[i]);
        m->nparams++;
    }
    return ERR_OK;
}
