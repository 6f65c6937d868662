#include "outbound/url.h"

#include <curl/curl.h>
#include <strings.h>

/* No CURLU_GUESS_SCHEME, no CURLU_ALLOW_SPACE, no CURLU_NON_SUPPORT_SCHEME: a URL is written out whole. */
#define PARSE_FLAGS 0u

struct Curl_URL *outbound_url_curl(const char *text)
{
    CURLU *h = curl_url();
    if (h && curl_url_set(h, CURLUPART_URL, text, PARSE_FLAGS) != CURLUE_OK) {
        curl_url_cleanup(h);
        h = NULL;
    }
    return h;
}

/* Copies one part (lower-cased when asked); false when it is absent, or longer than n - 1. */
static bool part(CURLU *h, CURLUPart what, unsigned flags, char *out, size_t n, bool lower)
{
    char *v = NULL;
    size_t len;

    if (curl_url_get(h, what, &v, flags) != CURLUE_OK)
        return false;
    len = strlen(v);
    if (len >= n) {
        curl_free(v);
        return false;
    }
    for (size_t i = 0; i <= len; i++)
        out[i] = lower && v[i] >= 'A' && v[i] <= 'Z' ? (char)(v[i] - 'A' + 'a') : v[i];
    curl_free(v);
    return true;
}

bool outbound_url_parse(const char *text, struct outbound_url *u)
{
    CURLU *h = outbound_url_curl(text);
    char port[8];
    bool ok;

    memset(u, 0, sizeof *u);
    if (!h)
        return false;
    ok = part(h, CURLUPART_SCHEME, 0, u->scheme, sizeof u->scheme, true) &&
         part(h, CURLUPART_HOST, 0, u->host, sizeof u->host, true) && u->host[0] &&
         part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT, port, sizeof port, false) &&
         part(h, CURLUPART_PATH, 0, u->path, sizeof u->path, false);
    if (ok) {
        char *v = NULL;
        u->port = strtol(port, NULL, 10);
        /* Any user name or password, of any length, counts. */
        u->credentials = curl_url_get(h, CURLUPART_USER, &v, 0) == CURLUE_OK;
        curl_free(v);
        v = NULL;
        u->credentials |= curl_url_get(h, CURLUPART_PASSWORD, &v, 0) == CURLUE_OK;
        curl_free(v);
    }
    curl_url_cleanup(h);
    if (!ok)
        memset(u, 0, sizeof *u);
    return ok;
}

static bool host_is(const char *host, const char *name, size_t n)
{
    size_t len = strlen(host);

    if (n > 1 && name[0] == '.') /* every name under it */
        return len > n && strncasecmp(host + len - n, name, n) == 0;
    return len == n && strncasecmp(host, name, n) == 0;
}

bool outbound_url_host_in(const struct outbound_url *u, const char *list)
{
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ",");
        const char *name = p;
        size_t len = n;
        while (len > 0 && *name == ' ')
            name++, len--;
        while (len > 0 && name[len - 1] == ' ')
            len--;
        if (len > 0 && host_is(u->host, name, len))
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

bool outbound_url_path_under(const struct outbound_url *u, const char *prefix)
{
    size_t n = strlen(prefix);

    if (strncmp(u->path, prefix, n) != 0)
        return false;
    return n > 0 && (prefix[n - 1] == '/' || u->path[n] == '\0' || u->path[n] == '/');
}

bool outbound_url_is(const char *text, const char *scheme, const char *hosts, const char *path)
{
    struct outbound_url u;
    return outbound_url_parse(text, &u) && strcmp(u.scheme, scheme) == 0 && !u.credentials && outbound_url_host_in(&u, hosts) &&
           outbound_url_path_under(&u, path);
}
