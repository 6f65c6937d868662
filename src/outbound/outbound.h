/*
 * outbound.h: HTTP(S) calls to providers, on one event loop.
 *
 * One thread drives a curl multi handle; any thread submits a call and gets
 * a callback when it ends, so a slow provider holds a socket, never a
 * request thread. The callback runs on the loop thread and must be quick:
 * it hands real work (database writes, the next step) to a pool.
 *
 * Safety: TLS verification is always on (a CA bundle can be named, which is
 * how tests trust their fakes); redirects are not followed; only http and
 * https; answers are capped; and the address a call connects to is checked
 * after DNS resolution, at connect time, so loopback, private, link-local
 * (cloud metadata) and other special addresses are refused unless an
 * operator allow-list names them (SSRF in a multi-tenant server).
 */
#ifndef SLIPWAY_OUTBOUND_H
#define SLIPWAY_OUTBOUND_H

#include "core/common.h"
#include "core/err.h"

struct outbound;

struct outbound_options {
    const char *ca_bundle; /* PEM file of trusted CAs, or NULL/"" for the system's */
    const char *allow;     /* comma-separated CIDRs that may be reached although special (e.g. "127.0.0.0/8"), or NULL */
    size_t max_response;   /* bytes of body kept; a larger answer fails */
};

enum outbound_failure {
    OUTBOUND_OK,         /* an HTTP answer arrived (any status) */
    OUTBOUND_NETWORK,    /* DNS, connect, reset: no answer */
    OUTBOUND_TIMEOUT,    /* no complete answer in time */
    OUTBOUND_TLS,        /* the certificate or handshake failed */
    OUTBOUND_BLOCKED,    /* the address is not allowed (private, loopback, link-local...) */
    OUTBOUND_TOO_LARGE,  /* the answer exceeded max_response */
    OUTBOUND_LOGIN,      /* the server refused the login (SMTP AUTH) */
    OUTBOUND_NO_STARTTLS /* the mail server does not offer STARTTLS, which slipway requires */
};

struct outbound_response {
    enum outbound_failure failure;
    long status;
    const char *body; /* NUL-terminated; valid only during the callback */
    size_t len;
    const char *headers; /* the raw header block, "Name: value\r\n" lines */
    /*
     * What went wrong, for logs. It never names the URL, not even its host:
     * a webhook's path is its secret, so the caller names what it called
     * (an integration by type and id).
     */
    char error[512];
    /*
     * The failure in words the integration's owner may read, for a client:
     * its class ("the host name did not resolve", "the connection was
     * refused", "the TLS certificate is not trusted"), never an address.
     * Empty when an HTTP answer arrived.
     */
    char cause[160];
};

/* A header's value (copied into out, trimmed), or NULL. Case-insensitive. */
const char *outbound_header(const struct outbound_response *r, const char *name, char *out, size_t n);

typedef void (*outbound_done_fn)(const struct outbound_response *res, void *ctx);

struct outbound_call {
    const char *method; /* GET, POST, DELETE, ... */
    const char *url;
    const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
    const char *body;           /* may be NULL */
    size_t body_len;
    const char *userpwd; /* "user:password" for Basic auth (or SMTP AUTH), or NULL */
    /*
     * smtp:// URLs: STARTTLS is required. With mail_from and mail_rcpt the
     * body is sent as a message; without, the session ends with NOOP (a
     * login check that sends nothing).
     */
    const char *mail_from;
    const char *const *mail_rcpt; /* NULL-terminated */
    long timeout_ms;
    /*
     * Who is called, for the metrics (the provider's type): the
     * caller names it, this loop knows no provider. Copied; NULL counts
     * as "other". Keep the names few: each is a label value.
     */
    const char *label;
    outbound_done_fn done; /* called exactly once, on the loop thread */
    void *ctx;
};

/* Starts the loop thread. */
struct outbound *outbound_start(const struct outbound_options *o, struct err *err);
/* Ends every call in flight without an answer (their callbacks run), stops the thread, frees o. */
void outbound_stop(struct outbound *o);
/*
 * Queues a call; everything in it is copied (secrets are wiped after use).
 * The URL is parsed once (outbound/url.h) and libcurl calls exactly that
 * parse. ERR_INVALID when it is not a URL; ERR_UNAVAILABLE when stopping.
 */
enum err_code outbound_submit(struct outbound *o, const struct outbound_call *call, struct err *err);

struct metrics_out;
/* Appends the calls' families to m: by label and outcome, with latencies, and the calls in flight. */
void outbound_metrics_write(struct outbound *o, struct metrics_out *m);

/* True when addr (a sockaddr) may be reached under the allow-list (exposed for tests). */
bool outbound_address_allowed(const struct outbound *o, const void *sockaddr);

/* One block of IANA's special-purpose address registries, refused unless allowed (outbound.c has the table). */
struct outbound_block {
    const char *cidr, *name, *rfc; /* the registry's block, name and RFCs */
    int ipv4_at; /* an IPv6 form that carries an IPv4 address: the bit it starts at (that address is judged); else -1 */
};

/* The table, for tests and documentation. */
const struct outbound_block *outbound_blocks(size_t *n);

#endif
