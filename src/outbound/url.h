/*
 * url.h: a URL as libcurl's URL API (curl_url) parses it.
 *
 * Every check of a URL (its scheme, its host, its path, whether it carries
 * a user name) reads the parts that curl_url() finds, never the string:
 * "https://evil.example#.webhook.office.com/x" has the host evil.example
 * whatever its text ends with, and "/services/../x" is the path "/x".
 * outbound_submit hands libcurl the URL parsed the same way (CURLOPT_CURLU),
 * so what was checked is what is called.
 */
#ifndef SLIPWAY_OUTBOUND_URL_H
#define SLIPWAY_OUTBOUND_URL_H

#include "core/common.h"

#define OUTBOUND_URL_PATH_MAX 2048

struct outbound_url {
    char scheme[16];                  /* lower case: "https" */
    char host[256];                   /* lower case; an IPv6 address in brackets */
    long port;                        /* as written, else the scheme's default */
    char path[OUTBOUND_URL_PATH_MAX]; /* with dot segments resolved; "/" at least */
    bool credentials;                 /* it names a user or a password */
};

/*
 * Parses text as an absolute URL of a scheme libcurl supports. False when
 * curl would refuse it (no scheme, a bad host, spaces, ...) or a part is too
 * long for the struct. Nothing of the query or fragment is kept: they may
 * hold secrets, and no check needs them.
 */
bool outbound_url_parse(const char *text, struct outbound_url *u);

/*
 * True when the host is one of the comma-separated names in list, compared
 * without regard to case; a name written with a leading dot stands for
 * every name under it, not for itself (".webhook.office.com" takes
 * "acme.webhook.office.com", not "webhook.office.com" nor
 * "evilwebhook.office.com").
 */
bool outbound_url_host_in(const struct outbound_url *u, const char *list);

/*
 * The same parse as a libcurl handle for CURLOPT_CURLU (outbound.c), or NULL
 * when outbound_url_parse would say false. Free with curl_url_cleanup.
 */
struct Curl_URL *outbound_url_curl(const char *text);

/* True when the path is prefix or lies under it, segment by segment ("/services/" takes "/services/T0/B0/x"). */
bool outbound_url_path_under(const struct outbound_url *u, const char *prefix);

/*
 * The check a fixed endpoint needs in one call: text parses, its scheme is
 * scheme, it names no user, its host is in hosts (outbound_url_host_in) and
 * its path lies under path.
 */
bool outbound_url_is(const char *text, const char *scheme, const char *hosts, const char *path);

#endif
