#include "providers/fields.h"

#include "core/clock.h"
#include "core/rand.h"
#include "outbound/url.h"

const char *const fields_platforms[] = {"IOS", "ANDROID", "WEB", NULL};
const char *const fields_mobile_platforms[] = {"IOS", "ANDROID", NULL};

bool fields_all_chars(const char *s, const char *extra, bool lower, bool upper, bool digits)
{
    for (; *s; s++) {
        char c = *s;
        if ((lower && c >= 'a' && c <= 'z') || (upper && c >= 'A' && c <= 'Z') || (digits && c >= '0' && c <= '9') ||
            (extra && strchr(extra, c)))
            continue;
        return false;
    }
    return true;
}

/* Judged as libcurl parses it (outbound/url.h), the way it will be called. */
const char *check_url(json_t *j)
{
    const char *v = json_string_value(j);
    struct outbound_url u;

    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return "must be a URL without spaces or control characters";
    if (!outbound_url_parse(v, &u) || (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0))
        return "must be an http:// or https:// URL";
    if (u.credentials)
        return "must be a URL with a host and no user name or password";
    return NULL;
}

const char *check_uuid(json_t *j)
{
    return uuid_valid(json_string_value(j)) ? NULL : "must be a UUID";
}

const char *check_time(json_t *j)
{
    int64_t ms;
    return clock_parse(json_string_value(j), &ms) ? "must be an RFC 3339 time, e.g. 2026-11-22T04:15:16Z" : NULL;
}

const char *check_printable_text(json_t *j)
{
    for (const unsigned char *p = (const unsigned char *)json_string_value(j); *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
            return "must not contain control characters";
    return NULL;
}
