#include "providers/fields.h"

#include "core/clock.h"
#include "core/rand.h"

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

const char *check_url(json_t *j)
{
    const char *v = json_string_value(j), *host, *end;
    if (strncmp(v, "https://", 8) == 0)
        host = v + 8;
    else if (strncmp(v, "http://", 7) == 0)
        host = v + 7;
    else
        return "must be an http:// or https:// URL";
    end = host + strcspn(host, "/?#");
    if (end == host || memchr(host, '@', (size_t)(end - host)))
        return "must be a URL with a host and no user name or password";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return "must be a URL without spaces or control characters";
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
