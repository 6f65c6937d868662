#include "providers/inbound.h"

#include <inttypes.h>

#include "core/clock.h"
#include "crypto/hash.h"
#include "http/request.h"

static const char *const kind_names[] = {
    [EVENT_OTHER] = "other", [EVENT_PUSH] = "push", [EVENT_TAG] = "tag", [EVENT_BUILD] = "build", [EVENT_STORE] = "store"};

const char *provider_event_kind_name(enum provider_event_kind kind)
{
    return (unsigned)kind < ARRAY_LEN(kind_names) ? kind_names[kind] : "other";
}

enum provider_event_kind provider_event_kind_by_name(const char *name)
{
    for (size_t i = 0; name && i < ARRAY_LEN(kind_names); i++)
        if (strcmp(kind_names[i], name) == 0)
            return (enum provider_event_kind)i;
    return EVENT_OTHER;
}

const char *inbound_request_header(const void *req, const char *name)
{
    return request_header(req, name);
}

const char *inbound_header(const struct provider_inbound *in, const char *name)
{
    return in->header(in->req, name);
}

const char *inbound_first_header(const struct provider_inbound *in, const char *const *names)
{
    const char *v = NULL;

    for (; *names && !v; names++)
        v = inbound_header(in, *names);
    return v;
}

bool inbound_hmac_ok(const struct provider_inbound *in, const char *header, const char *prefix)
{
    const char *v = inbound_header(in, header);
    size_t plen = strlen(prefix);
    bool ok = false;

    if (!v || !in->secret || !in->secret[0])
        return false;
    while (*v) {
        size_t n = strcspn(v, ",");
        while (n > 0 && *v == ' ')
            v++, n--;
        if (n > plen && strncmp(v, prefix, plen) == 0 &&
            (in->mac ? hmac_key_hex_matches(in->mac, in->body, in->len, v + plen, n - plen)
                     : hash_hmac_sha256_hex_matches(in->secret, strlen(in->secret), in->body, in->len, v + plen, n - plen))) {
            ok = true;
            if (in->digest) /* the digest as computed: it matched, and it is PROVIDER_DIGEST_SIZE - 1 hex digits */
                snprintf(in->digest, PROVIDER_DIGEST_SIZE, "%.*s", (int)(n - plen), v + plen);
        }
        v += n + (v[n] == ',');
    }
    return ok;
}

bool inbound_token_ok(const struct provider_inbound *in, const char *header)
{
    const char *v = inbound_header(in, header);
    unsigned char got[SHA256_BYTES], want[SHA256_BYTES];
    bool ok;

    if (!v || !in->secret || !in->secret[0])
        return false;
    hash_sha256(v, strlen(v), got);
    hash_sha256(in->secret, strlen(in->secret), want);
    ok = hash_equal(got, want, sizeof got);
    hash_cleanse(want, sizeof want);
    return ok;
}

bool inbound_fresh(const struct provider_inbound *in, const char *at)
{
    int64_t ms;

    if (!at || clock_parse(at, &ms) != 0)
        return false;
    int64_t skew = ms / 1000 - in->now;
    return skew <= PROVIDER_REPLAY_WINDOW_S && skew >= -PROVIDER_REPLAY_WINDOW_S;
}

json_t *inbound_json(const struct provider_inbound *in, struct err *err)
{
    json_error_t jerr;
    json_t *body;

    if (!(body = json_loadb(in->body, in->len, JSON_REJECT_DUPLICATES, &jerr))) {
        err_set(err, ERR_MALFORMED_JSON, "the body is not valid JSON (line %d, column %d)", jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        err_set(err, ERR_MALFORMED_JSON, "the body must be a JSON object");
        return NULL;
    }
    return body;
}

enum err_code inbound_pick(const struct provider_inbound *in, const char *const paths[], size_t n, struct jsonpick_value out[],
                           json_t **tree, struct err *err)
{
    *tree = NULL;
    if (jsonpick(in->body, in->len, paths, n, out))
        return ERR_OK;
    if (!(*tree = inbound_json(in, err)))
        return err->code;
    jsonpick_tree(*tree, paths, n, out);
    return ERR_OK;
}

enum err_code inbound_read_event(const struct provider_inbound *in, const struct inbound_event *events, const char *event,
                                 struct provider_event *ev, struct err *err)
{
    struct jsonpick_value v[JSONPICK_MAX];
    json_t *tree;

    while (events->name && strcmp(events->name, event) != 0)
        events++;
    if (inbound_pick(in, events->fields, events->n, v, &tree, err))
        return err->code;
    if (events->read)
        events->read(v, ev, err);
    json_decref(tree);
    return err->code;
}

enum err_code inbound_pick_signed(const struct provider_inbound *in, const char *const paths[], size_t n, size_t at,
                                  struct jsonpick_value out[], json_t **tree, struct err *err)
{
    char text[64];
    struct err ignored;

    err_clear(&ignored);
    if (inbound_pick(in, paths, n, out, tree, &ignored))
        return err_set(err, ERR_UNAUTHENTICATED, PROVIDER_WEBHOOK_REFUSED);
    if (out[at].type != JSONPICK_STRING || inbound_copy(text, sizeof text, &out[at], paths[at], &ignored) ||
        !inbound_fresh(in, text)) {
        json_decref(*tree);
        *tree = NULL;
        return err_set(err, ERR_UNAUTHENTICATED, PROVIDER_WEBHOOK_REFUSED);
    }
    return ERR_OK;
}

static enum err_code copy_bytes(char *dst, size_t size, const char *text, size_t n, const char *what, struct err *err)
{
    if (n >= size)
        return err_set(err, ERR_INVALID, "the event's %s is longer than %zu bytes", what, size - 1);
    if (n)
        memcpy(dst, text, n);
    dst[n] = '\0';
    return ERR_OK;
}

enum err_code inbound_copy_text(char *dst, size_t size, const char *text, const char *what, struct err *err)
{
    return copy_bytes(dst, size, text, text ? strlen(text) : 0, what, err);
}

enum err_code inbound_copy(char *dst, size_t size, const struct jsonpick_value *v, const char *what, struct err *err)
{
    switch (v->type) {
    case JSONPICK_STRING:
    case JSONPICK_INTEGER:
        return copy_bytes(dst, size, v->text, v->len, what, err);
    case JSONPICK_ABSENT:
    case JSONPICK_NULL:
        return copy_bytes(dst, size, "", 0, what, err);
    default:
        return err_set(err, ERR_INVALID, "the event's %s is not text", what);
    }
}

/* Whether v is a string that starts with prefix; *rest: what follows it. */
static bool starts(const struct jsonpick_value *v, const char *prefix, struct jsonpick_value *rest)
{
    size_t n = strlen(prefix);

    if (v->len < n || memcmp(v->text, prefix, n) != 0)
        return false;
    *rest = (struct jsonpick_value){.type = JSONPICK_STRING, .text = v->text + n, .len = v->len - n};
    return true;
}

enum err_code inbound_ref(struct provider_event *ev, const struct jsonpick_value *ref, struct err *err)
{
    struct jsonpick_value name;

    if (ref->type != JSONPICK_STRING)
        return err_set(err, ERR_INVALID, "a push without its ref");
    if (starts(ref, "refs/tags/", &name))
        ev->kind = EVENT_TAG;
    else if (starts(ref, "refs/heads/", &name))
        ev->kind = EVENT_PUSH;
    else
        ev->kind = EVENT_OTHER, name = *ref;
    return inbound_copy(ev->ref, sizeof ev->ref, &name, "ref", err);
}

void inbound_state(struct provider_event *ev, const struct inbound_state *map, const struct jsonpick_value *value)
{
    for (; map->from; map++) {
        if (!jsonpick_is(value, map->from))
            continue;
        if (map->status)
            snprintf(ev->status, sizeof ev->status, "%s", map->status);
        if (map->conclusion)
            snprintf(ev->conclusion, sizeof ev->conclusion, "%s", map->conclusion);
        break;
    }
    if (strcmp(ev->status, "completed") == 0 && !ev->conclusion[0])
        snprintf(ev->conclusion, sizeof ev->conclusion, "failed");
}
