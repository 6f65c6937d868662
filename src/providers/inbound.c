#include "providers/inbound.h"

#include <inttypes.h>

#include "core/clock.h"
#include "crypto/hash.h"
#include "http/request.h"

const char *provider_event_kind_name(enum provider_event_kind kind)
{
    static const char *const names[] = {
        [EVENT_OTHER] = "other", [EVENT_PUSH] = "push", [EVENT_TAG] = "tag", [EVENT_BUILD] = "build", [EVENT_STORE] = "store"};
    return (unsigned)kind < ARRAY_LEN(names) ? names[kind] : "other";
}

const char *inbound_request_header(const void *req, const char *name)
{
    return request_header(req, name);
}

const char *inbound_header(const struct provider_inbound *in, const char *name)
{
    return in->header(in->req, name);
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
        if (n > plen && strncmp(v, prefix, plen) == 0)
            ok |= in->mac ? hmac_key_hex_matches(in->mac, in->body, in->len, v + plen, n - plen)
                          : hash_hmac_sha256_hex_matches(in->secret, strlen(in->secret), in->body, in->len, v + plen, n - plen);
        v += n + (v[n] == ',');
    }
    return ok;
}

bool inbound_hmac_fresh(const struct provider_inbound *in, const char *header, const char *prefix, const char *at_field)
{
    struct err err;
    json_t *body;
    bool ok;

    err_clear(&err);
    if (!inbound_hmac_ok(in, header, prefix) || !(body = inbound_json(in, &err)))
        return false;
    ok = inbound_fresh(in, json_string_value(json_object_get(body, at_field)));
    json_decref(body);
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

    if (in->parsed && *in->parsed)
        return json_incref(*in->parsed);
    if (!(body = json_loadb(in->body, in->len, JSON_REJECT_DUPLICATES, &jerr))) {
        err_set(err, ERR_MALFORMED_JSON, "the body is not valid JSON (line %d, column %d)", jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        err_set(err, ERR_MALFORMED_JSON, "the body must be a JSON object");
        return NULL;
    }
    if (in->parsed)
        *in->parsed = json_incref(body);
    return body;
}

enum err_code inbound_copy_text(char *dst, size_t size, const char *text, const char *what, struct err *err)
{
    size_t n = text ? strlen(text) : 0;

    if (n >= size)
        return err_set(err, ERR_INVALID, "the event's %s is longer than %zu bytes", what, size - 1);
    memcpy(dst, text ? text : "", n + 1);
    return ERR_OK;
}

enum err_code inbound_copy(char *dst, size_t size, const json_t *v, const char *what, struct err *err)
{
    char number[32];

    if (json_is_integer(v)) {
        snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return inbound_copy_text(dst, size, number, what, err);
    }
    if (v && !json_is_string(v) && !json_is_null(v))
        return err_set(err, ERR_INVALID, "the event's %s is not text", what);
    return inbound_copy_text(dst, size, json_string_value(v), what, err);
}

enum err_code inbound_ref(struct provider_event *ev, const char *ref, struct err *err)
{
    static const char heads[] = "refs/heads/", tags[] = "refs/tags/";

    if (!ref)
        return err_set(err, ERR_INVALID, "a push without its ref");
    if (strncmp(ref, tags, sizeof tags - 1) == 0) {
        ev->kind = EVENT_TAG;
        return inbound_copy_text(ev->ref, sizeof ev->ref, ref + sizeof tags - 1, "ref", err);
    }
    if (strncmp(ref, heads, sizeof heads - 1) == 0) {
        ev->kind = EVENT_PUSH;
        return inbound_copy_text(ev->ref, sizeof ev->ref, ref + sizeof heads - 1, "ref", err);
    }
    ev->kind = EVENT_OTHER;
    return inbound_copy_text(ev->ref, sizeof ev->ref, ref, "ref", err);
}

void inbound_state(struct provider_event *ev, const struct inbound_state *map, const char *value)
{
    for (; value && map->from; map++) {
        if (strcmp(map->from, value) != 0)
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
