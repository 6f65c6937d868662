#include "http/router.h"

#include "core/rand.h"
#include "core/xmalloc.h"

/* One distinct pattern and the routes (one per method) that share it. */
struct pattern {
    const char *text;
    int nseg;
    const char *seg[ROUTER_MAX_SEGMENTS]; /* literal text, or the param name for a {param} */
    size_t seglen[ROUTER_MAX_SEGMENTS];
    bool param[ROUTER_MAX_SEGMENTS];
    enum param_kind kind[ROUTER_MAX_SEGMENTS]; /* of a {param} */
    const struct route *routes[8];
    int nroutes;
};

static const char *const kind_names[] = {[PARAM_TEXT] = "text", [PARAM_UUID] = "uuid", [PARAM_INT] = "int"};

const char *param_kind_name(enum param_kind kind)
{
    return kind_names[kind];
}

/* The kind a parameter without one has: uuid for `id` and `...Id`. */
static enum param_kind default_kind(const char *name, size_t len)
{
    if ((len == 2 && memcmp(name, "id", 2) == 0) || (len > 2 && memcmp(name + len - 2, "Id", 2) == 0))
        return PARAM_UUID;
    return PARAM_TEXT;
}

/* The inside of {...} (len bytes): name and kind. Fails on an empty name or an unknown kind. */
static bool parse_param(const char *s, size_t len, struct route_param *out)
{
    const char *colon = memchr(s, ':', len);

    out->name = s;
    out->len = colon ? (size_t)(colon - s) : len;
    if (out->len == 0)
        return false;
    if (!colon) {
        out->kind = default_kind(s, len);
        return true;
    }
    for (size_t k = 0; k < ARRAY_LEN(kind_names); k++) {
        size_t n = strlen(kind_names[k]);
        if (len - out->len - 1 == n && memcmp(colon + 1, kind_names[k], n) == 0) {
            out->kind = (enum param_kind)k;
            return true;
        }
    }
    return false;
}

static bool value_of_kind(enum param_kind kind, const char *value, size_t len)
{
    switch (kind) {
    case PARAM_UUID:
        return uuid_valid(value);
    case PARAM_INT:
        if (len == 0 || len > 18)
            return false;
        for (size_t i = 0; i < len; i++) {
            if (value[i] < '0' || value[i] > '9')
                return false;
        }
        return true;
    case PARAM_TEXT:
        break;
    }
    return true;
}

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
            struct route_param rp;
            if (start[len - 1] != '}' || len < 3 || memchr(start + 1, '{', len - 1) || !parse_param(start + 1, len - 2, &rp))
                return err_set(err, ERR_INTERNAL, "route %s: malformed parameter", text);
            p->param[p->nseg] = true;
            p->seg[p->nseg] = rp.name;
            p->seglen[p->nseg] = rp.len;
            p->kind[p->nseg] = rp.kind;
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

int router_params(const char *pattern, struct route_param out[ROUTER_MAX_SEGMENTS])
{
    struct pattern p;
    struct err err;
    int n = 0;

    if (compile(pattern, &p, &err))
        return -1;
    for (int i = 0; i < p.nseg; i++) {
        if (p.param[i])
            out[n++] = (struct route_param){p.seg[i], p.seglen[i], p.kind[i]};
    }
    return n;
}

bool router_template(const char *pattern, char *out, size_t size)
{
    size_t used = 0;
    bool skip = false;

    for (const char *s = pattern; *s; s++) {
        if (*s == ':' || *s == '{' || *s == '}')
            skip = *s == ':';
        if (skip)
            continue;
        if (used + 1 >= size)
            return false;
        out[used++] = *s;
    }
    if (size == 0)
        return false;
    out[used] = '\0';
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
    m->plausible = true;
    for (int i = 0; i < best->nseg && m->nparams < REQUEST_PARAMS_MAX; i++) {
        if (!best->param[i])
            continue;
        m->names[m->nparams] = arena_strndup(a, best->seg[i], best->seglen[i]);
        m->values[m->nparams] = arena_strndup(a, segs.s[i], segs.len[i]);
        m->plausible &= value_of_kind(best->kind[i], m->values[m->nparams], segs.len[i]);
        m->nparams++;
    }
    return ERR_OK;
}
