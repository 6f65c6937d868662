#define _GNU_SOURCE
#include "outbound/outbound.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <strings.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/thread.h"
#include "core/utf8.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"
#include "outbound/url.h"

#define HEADERS_MAX (64 * 1024)
#define ALLOW_MAX 16
#define LABELS_MAX 64 /* distinct call labels counted apart; more share "other" */

/*
 * How a call ended, as the metrics name it: why no answer came (enum
 * outbound_failure), or the class of the status that did ("answered": a
 * status outside 100..599).
 */
#define OUTCOME_1XX (OUTBOUND_NO_STARTTLS + 1)
#define OUTCOMES (OUTCOME_1XX + 5)
static const char *const outcome_names[OUTCOMES] = {
    [OUTBOUND_OK] = "answered",     [OUTBOUND_NETWORK] = "network",
    [OUTBOUND_TIMEOUT] = "timeout", [OUTBOUND_TLS] = "tls",
    [OUTBOUND_BLOCKED] = "blocked", [OUTBOUND_TOO_LARGE] = "too_large",
    [OUTBOUND_LOGIN] = "login",     [OUTBOUND_NO_STARTTLS] = "no_starttls",
    [OUTCOME_1XX] = "1xx",          [OUTCOME_1XX + 1] = "2xx",
    [OUTCOME_1XX + 2] = "3xx",      [OUTCOME_1XX + 3] = "4xx",
    [OUTCOME_1XX + 4] = "5xx",
};

/* The calls of one label. Written by the loop thread only; read by scrapes. */
struct call_stats {
    _Atomic(char *) label; /* set once, then never changed until outbound_stop */
    _Atomic uint64_t outcomes[OUTCOMES];
    struct metrics_histogram latency;
};

struct cidr {
    int family;
    unsigned char addr[16];
    int bits;
};

/* One call in flight: owned by the loop thread once submitted. */
struct transfer {
    struct transfer *next;   /* in the submit queue */
    struct transfer *active; /* in the list of transfers the multi handle runs */
    struct outbound *o;
    CURL *easy;
    struct curl_slist *headers, *rcpt;
    char *mail_from;
    size_t sent; /* bytes of body uploaded (SMTP) */
    CURLU *url;  /* parsed once, called as parsed */
    char *method, *body, *userpwd;
    size_t body_len;
    long timeout_ms;
    char *label;
    int64_t submitted_us;
    outbound_done_fn done;
    void *ctx;
    struct buf resp, head;
    bool too_large, blocked;
};

struct outbound {
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t lock;
    struct transfer *queue;   /* submitted, not yet added to multi */
    struct transfer *running; /* added to multi (loop thread only) */
    bool stopping;
    char *ca_bundle;
    size_t max_response;
    struct cidr allow[ALLOW_MAX];
    int nallow;
    struct call_stats stats[LABELS_MAX + 1]; /* the last: "other" */
    atomic_int in_flight;
};

static void curl_global_init_default(void);

/* ---- addresses ---- */

static bool in_cidr(const struct cidr *c, int family, const unsigned char *a)
{
    int full = c->bits / 8, rest = c->bits % 8;
    if (c->family != family || memcmp(c->addr, a, (size_t)full) != 0)
        return false;
    return rest == 0 || ((c->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

static int parse_cidr(const char *text, size_t len, struct cidr *out)
{
    char buf[64];
    const char *slash;
    long bits;

    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    slash = strchr(buf, '/');
    memset(out, 0, sizeof *out);
    if (slash)
        buf[slash - buf] = '\0';
    if (inet_pton(AF_INET, buf, out->addr) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, buf, out->addr) == 1)
        out->family = AF_INET6;
    else
        return -1;
    bits = slash ? strtol(slash + 1, NULL, 10) : (out->family == AF_INET ? 32 : 128);
    if (bits < 0 || bits > (out->family == AF_INET ? 32 : 128))
        return -1;
    out->bits = (int)bits;
    return 0;
}

/*
 * Addresses no provider lives at: every block of IANA's IPv4 and IPv6
 * Special-Purpose Address Registries (names and RFCs as the registries
 * give them; the globally reachable ones too, since no provider API is
 * an anycast relay or an AS112 server), and multicast. IPv6 forms that
 * carry an IPv4 address (mapped, compatible, NAT64's well-known prefix,
 * 6to4) are not refused as such: the IPv4 address in them is judged
 * instead. Teredo's client address is obfuscated, so Teredo is refused
 * whole (inside 2001::/23) unless SLIPWAY_OUTBOUND_ALLOW names it.
 */
static const struct outbound_block blocks[] = {
    /* IANA IPv4 Special-Purpose Address Registry */
    {"0.0.0.0/8", "\"This network\"", "RFC 791, Section 3.2", -1},
    {"0.0.0.0/32", "\"This host on this network\"", "RFC 1122, Section 3.2.1.3", -1},
    {"10.0.0.0/8", "Private-Use", "RFC 1918", -1},
    {"100.64.0.0/10", "Shared Address Space", "RFC 6598", -1},
    {"127.0.0.0/8", "Loopback", "RFC 1122, Section 3.2.1.3", -1},
    {"169.254.0.0/16", "Link Local", "RFC 3927", -1},
    {"172.16.0.0/12", "Private-Use", "RFC 1918", -1},
    {"192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890, Section 2.1", -1},
    {"192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335", -1},
    {"192.0.0.8/32", "IPv4 dummy address", "RFC 7600", -1},
    {"192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723", -1},
    {"192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155", -1},
    {"192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050, Section 2.2", -1},
    {"192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050, Section 2.2", -1},
    {"192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737", -1},
    {"192.31.196.0/24", "AS112-v4", "RFC 7535", -1},
    {"192.52.193.0/24", "AMT", "RFC 7450", -1},
    {"192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526", -1},
    {"192.168.0.0/16", "Private-Use", "RFC 1918", -1},
    {"192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534", -1},
    {"198.18.0.0/15", "Benchmarking", "RFC 2544", -1},
    {"198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737", -1},
    {"203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737", -1},
    {"240.0.0.0/4", "Reserved", "RFC 1112, Section 4", -1},
    {"255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919, Section 7", -1},
    /* IANA IPv4 Multicast Address Space Registry: not a unicast provider */
    {"224.0.0.0/4", "Multicast", "RFC 5771", -1},
    /* IANA IPv6 Special-Purpose Address Registry */
    {"::1/128", "Loopback Address", "RFC 4291", -1},
    {"::/128", "Unspecified Address", "RFC 4291", -1},
    {"::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", 96},
    {"64:ff9b::/96", "IPv4-IPv6 Translat.", "RFC 6052", 96},
    {"64:ff9b:1::/48", "IPv4-IPv6 Translat.", "RFC 8215", -1},
    {"100::/64", "Discard-Only Address Block", "RFC 6666", -1},
    {"100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780", -1},
    {"2001::/23", "IETF Protocol Assignments", "RFC 2928", -1},
    {"2001::/32", "TEREDO", "RFC 4380, RFC 8190", -1},
    {"2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723", -1},
    {"2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155", -1},
    {"2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665", -1},
    {"2001:2::/48", "Benchmarking", "RFC 5180, RFC Errata 1752", -1},
    {"2001:3::/32", "AMT", "RFC 7450", -1},
    {"2001:4:112::/48", "AS112-v6", "RFC 7535", -1},
    {"2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843", -1},
    {"2001:20::/28", "ORCHIDv2", "RFC 7343", -1},
    {"2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374", -1},
    {"2001:db8::/32", "Documentation", "RFC 3849", -1},
    {"2002::/16", "6to4", "RFC 3056", 16},
    {"2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534", -1},
    {"3fff::/20", "Documentation", "RFC 9637", -1},
    {"5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602", -1},
    {"fc00::/7", "Unique-Local", "RFC 4193, RFC 8190", -1},
    {"fe80::/10", "Link-Local Unicast", "RFC 4291", -1},
    /* Deprecated forms and multicast, outside the registry */
    {"::/96", "IPv4-compatible Address (deprecated)", "RFC 4291, Section 2.5.5.1", 96},
    {"ff00::/8", "Multicast", "RFC 4291", -1},
};

static struct cidr parsed[ARRAY_LEN(blocks)];
static pthread_once_t parsed_once = PTHREAD_ONCE_INIT;

static void parse_blocks(void)
{
    for (size_t i = 0; i < ARRAY_LEN(blocks); i++)
        if (parse_cidr(blocks[i].cidr, strlen(blocks[i].cidr), &parsed[i]) != 0)
            abort(); /* a typo in the table above: the unit test catches it first */
}

const struct outbound_block *outbound_blocks(size_t *n)
{
    *n = ARRAY_LEN(blocks);
    return blocks;
}

/* The most specific block holding the address, or NULL. */
static const struct outbound_block *block_of(int family, const unsigned char *a)
{
    const struct outbound_block *found = NULL;
    int bits = -1;

    pthread_once(&parsed_once, parse_blocks);
    for (size_t i = 0; i < ARRAY_LEN(blocks); i++)
        if (parsed[i].bits > bits && in_cidr(&parsed[i], family, a)) {
            found = &blocks[i];
            bits = parsed[i].bits;
        }
    return found;
}

static bool allowed(const struct outbound *o, int family, const unsigned char *a)
{
    const struct outbound_block *b;

    for (int i = 0; i < o->nallow; i++)
        if (in_cidr(&o->allow[i], family, a))
            return true;
    b = block_of(family, a);
    if (!b)
        return true;
    if (b->ipv4_at < 0)
        return false;
    /* An IPv6 form that carries an IPv4 address: the address it carries decides. */
    unsigned char v4[4];
    for (int i = 0; i < 4; i++)
        v4[i] = a[b->ipv4_at / 8 + i];
    return allowed(o, AF_INET, v4);
}

bool outbound_address_allowed(const struct outbound *o, const void *sockaddr)
{
    const struct sockaddr *sa = sockaddr;
    unsigned char a[16];

    if (sa->sa_family == AF_INET) {
        memcpy(a, &((const struct sockaddr_in *)sockaddr)->sin_addr, 4);
        return allowed(o, AF_INET, a);
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(a, &((const struct sockaddr_in6 *)sockaddr)->sin6_addr, 16);
        return allowed(o, AF_INET6, a);
    }
    return false;
}

static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct transfer *t = clientp;
    UNUSED(purpose);
    if (!outbound_address_allowed(t->o, &addr->addr)) {
        t->blocked = true;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* ---- transfers ---- */

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    struct transfer *t = userp;
    if (buf_append(&t->resp, data, size * n) != 0) {
        t->too_large = true;
        return 0; /* aborts the transfer */
    }
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    struct transfer *t = userp;
    buf_append(&t->head, data, size * n); /* past the cap, headers are dropped, not the call */
    return size * n;
}

static void wipe(char *s)
{
    if (s)
        hash_cleanse(s, strlen(s));
    free(s);
}

static void transfer_free(struct transfer *t)
{
    for (struct curl_slist *h = t->headers; h; h = h->next)
        hash_cleanse(h->data, strlen(h->data)); /* Authorization headers carry tokens */
    curl_slist_free_all(t->headers);
    curl_slist_free_all(t->rcpt);
    free(t->mail_from);
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_url_cleanup(t->url);
    wipe(t->userpwd);
    if (t->body)
        hash_cleanse(t->body, t->body_len);
    free(t->body);
    free(t->method);
    free(t->label);
    buf_free(&t->resp);
    buf_free(&t->head);
    free(t);
}

/* The stats of a label, taking a free slot for a new one (loop thread only). */
static struct call_stats *stats_for(struct outbound *o, const char *label)
{
    for (size_t i = 0; label && i < LABELS_MAX; i++) {
        char *have = atomic_load(&o->stats[i].label);
        if (!have) {
            atomic_store(&o->stats[i].label, xstrdup(label));
            return &o->stats[i];
        }
        if (strcmp(have, label) == 0)
            return &o->stats[i];
    }
    return &o->stats[LABELS_MAX];
}

static void count_call(struct transfer *t, const struct outbound_response *r)
{
    struct call_stats *cs = stats_for(t->o, t->label);
    int outcome = (int)r->failure;

    if (r->failure == OUTBOUND_OK)
        outcome = r->status >= 100 && r->status <= 599 ? OUTCOME_1XX + (int)(r->status / 100) - 1 : OUTBOUND_OK;
    atomic_fetch_add_explicit(&cs->outcomes[outcome], 1, memory_order_relaxed);
    metrics_observe(&cs->latency, clock_mono_us() - t->submitted_us);
    atomic_fetch_sub(&t->o->in_flight, 1);
}

/* What a libcurl failure means, in words for the integration's owner (curl's own text for the rarer ones). */
static const char *cause_of(CURLcode rc)
{
    static const struct {
        CURLcode rc;
        const char *words;
    } causes[] = {
        {CURLE_COULDNT_RESOLVE_HOST, "the host name did not resolve (DNS)"},
        {CURLE_COULDNT_CONNECT, "the connection was refused, or the host cannot be reached"},
        {CURLE_GOT_NOTHING, "the server closed the connection without answering"},
        {CURLE_SEND_ERROR, "the connection broke while sending"},
        {CURLE_RECV_ERROR, "the connection broke while receiving"},
        {CURLE_WEIRD_SERVER_REPLY, "the server answered something that is not HTTP"},
        {CURLE_PEER_FAILED_VERIFICATION, "its TLS certificate is not trusted (expired, self-signed, or for another name)"},
        {CURLE_SSL_CONNECT_ERROR, "the TLS handshake failed"},
    };
    for (size_t i = 0; i < ARRAY_LEN(causes); i++)
        if (causes[i].rc == rc)
            return causes[i].words;
    return curl_easy_strerror(rc);
}

static void finish(struct transfer *t, CURLcode rc)
{
    struct outbound_response r = {.failure = OUTBOUND_OK};

    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r.status);
    r.body = t->resp.data ? t->resp.data : "";
    r.len = t->resp.len;
    r.headers = t->head.data ? t->head.data : "";
    if (t->blocked && rc != CURLE_OK) { /* a refused address and no answer from another one */
        r.failure = OUTBOUND_BLOCKED;
        snprintf(r.error, sizeof r.error,
                 "the host resolves to an address slipway may not call (private, loopback, link-local or another special-purpose "
                 "block)");
    } else if (t->too_large) {
        r.failure = OUTBOUND_TOO_LARGE;
        snprintf(r.error, sizeof r.error, "the answer was larger than %zu bytes", t->o->max_response);
    } else if (rc == CURLE_USE_SSL_FAILED) {
        r.failure = OUTBOUND_NO_STARTTLS;
        snprintf(r.error, sizeof r.error, "the server does not offer STARTTLS");
    } else if (rc == CURLE_LOGIN_DENIED) {
        r.failure = OUTBOUND_LOGIN;
        snprintf(r.error, sizeof r.error, "the server refused the login");
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        r.failure = OUTBOUND_TIMEOUT;
        snprintf(r.error, sizeof r.error, "no answer within %ld ms", t->timeout_ms);
    } else if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
               rc == CURLE_SSL_CERTPROBLEM) {
        r.failure = OUTBOUND_TLS;
        snprintf(r.error, sizeof r.error, "TLS failed: %s", curl_easy_strerror(rc));
        snprintf(r.cause, sizeof r.cause, "%s", cause_of(rc));
    } else if (rc != CURLE_OK) {
        r.failure = OUTBOUND_NETWORK;
        snprintf(r.error, sizeof r.error, "no answer: %s", curl_easy_strerror(rc));
        snprintf(r.cause, sizeof r.cause, "%s", cause_of(rc));
    }
    if (r.failure != OUTBOUND_OK && !r.cause[0]) /* the other messages above name no address either */
        utf8_copy(r.cause, sizeof r.cause, r.error);
    count_call(t, &r);
    t->done(&r, t->ctx);
}

static size_t on_upload(char *out, size_t size, size_t n, void *userp)
{
    struct transfer *t = userp;
    size_t left = t->body_len - t->sent, chunk = size * n < left ? size * n : left;
    memcpy(out, t->body + t->sent, chunk);
    t->sent += chunk;
    return chunk;
}

/* SMTP: STARTTLS required; a message when there are recipients, else only NOOP after the login. */
static void smtp_options(CURL *e, struct transfer *t)
{
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (t->rcpt) {
        curl_easy_setopt(e, CURLOPT_MAIL_FROM, t->mail_from);
        curl_easy_setopt(e, CURLOPT_MAIL_RCPT, t->rcpt);
        curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_upload);
        curl_easy_setopt(e, CURLOPT_READDATA, t);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "NOOP");
    }
}

static CURL *easy_for(struct outbound *o, struct transfer *t)
{
    char *scheme = NULL;
    bool smtp = curl_url_get(t->url, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
                (strcmp(scheme, "smtp") == 0 || strcmp(scheme, "smtps") == 0);
    CURL *e = curl_easy_init();

    curl_free(scheme);
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_CURLU, t->url);
    if (!smtp)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->method);
    if (strcmp(t->method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    if (t->body && !smtp) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)t->body_len);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (t->userpwd) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERPWD, t->userpwd);
    }
    if (smtp)
        smtp_options(e, t);
    else
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_bundle)
        curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_bundle);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, t->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, t->timeout_ms < 10000 ? t->timeout_ms : 10000L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "slipway/0.1");
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    return e;
}

static void *loop(void *arg)
{
    struct outbound *o = arg;
    int running = 0;

    thread_name("outbound");
    for (;;) {
        struct transfer *batch;
        CURLMsg *msg;
        int left;

        pthread_mutex_lock(&o->lock);
        batch = o->queue;
        o->queue = NULL;
        bool stopping = o->stopping;
        pthread_mutex_unlock(&o->lock);
        while (batch) {
            struct transfer *t = batch;
            batch = t->next;
            t->easy = easy_for(o, t);
            if (!t->easy || curl_multi_add_handle(o->multi, t->easy) != CURLM_OK) {
                finish(t, CURLE_FAILED_INIT);
                transfer_free(t);
                continue;
            }
            t->active = o->running;
            o->running = t;
        }
        if (stopping) {
            /* Shutting down: every call still out ends now, without an answer. */
            while (o->running) {
                struct transfer *t = o->running;
                o->running = t->active;
                curl_multi_remove_handle(o->multi, t->easy);
                finish(t, CURLE_ABORTED_BY_CALLBACK);
                transfer_free(t);
            }
            return NULL;
        }
        curl_multi_perform(o->multi, &running);
        while ((msg = curl_multi_info_read(o->multi, &left))) {
            struct transfer *t = NULL;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            CURLcode rc = msg->data.result;
            curl_multi_remove_handle(o->multi, msg->easy_handle);
            for (struct transfer **p = &o->running; *p; p = &(*p)->active) {
                if (*p == t) {
                    *p = t->active;
                    break;
                }
            }
            finish(t, rc);
            transfer_free(t);
        }
        curl_multi_poll(o->multi, NULL, 0, 1000, NULL);
    }
}

struct outbound *outbound_start(const struct outbound_options *opt, struct err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct outbound *o = xcalloc(1, sizeof *o);

    pthread_once(&once, curl_global_init_default);
    o->max_response = opt->max_response ? opt->max_response : 4u << 20;
    o->ca_bundle = opt->ca_bundle && *opt->ca_bundle ? xstrdup(opt->ca_bundle) : NULL;
    for (const char *p = opt->allow; p && *p;) {
        size_t n = strcspn(p, ",");
        while (n > 0 && *p == ' ')
            p++, n--;
        if (n > 0 && (o->nallow == ALLOW_MAX || parse_cidr(p, n, &o->allow[o->nallow]) != 0)) {
            err_set(err, ERR_INVALID, "SLIPWAY_OUTBOUND_ALLOW must be comma-separated CIDRs (at most %d): %.*s", ALLOW_MAX, (int)n,
                    p);
            free(o->ca_bundle);
            free(o);
            return NULL;
        }
        if (n > 0)
            o->nallow++;
        p += n + (p[n] == ',');
    }
    pthread_mutex_init(&o->lock, NULL);
    o->multi = curl_multi_init();
    if (!o->multi || pthread_create(&o->thread, NULL, loop, o) != 0) {
        err_set(err, ERR_INTERNAL, "cannot start the outbound event loop");
        if (o->multi)
            curl_multi_cleanup(o->multi);
        free(o->ca_bundle);
        free(o);
        return NULL;
    }
    return o;
}

void outbound_stop(struct outbound *o)
{
    if (!o)
        return;
    pthread_mutex_lock(&o->lock);
    o->stopping = true;
    pthread_mutex_unlock(&o->lock);
    curl_multi_wakeup(o->multi);
    pthread_join(o->thread, NULL);
    curl_multi_cleanup(o->multi);
    pthread_mutex_destroy(&o->lock);
    for (size_t i = 0; i < LABELS_MAX; i++)
        free(atomic_load(&o->stats[i].label));
    free(o->ca_bundle);
    free(o);
}

enum err_code outbound_submit(struct outbound *o, const struct outbound_call *call, struct err *err)
{
    struct transfer *t;
    CURLU *url = outbound_url_curl(call->url);
    bool queued = false;

    if (!url)
        return err_set(err, ERR_INVALID, "the address to call is not a URL");
    t = xcalloc(1, sizeof *t);
    t->o = o;
    t->url = url;
    t->method = xstrdup(call->method ? call->method : "GET");
    t->userpwd = call->userpwd ? xstrdup(call->userpwd) : NULL;
    if (call->body) {
        t->body = xmalloc(call->body_len + 1);
        memcpy(t->body, call->body, call->body_len);
        t->body[call->body_len] = '\0';
        t->body_len = call->body_len;
    }
    for (const char *const *h = call->headers; h && *h; h++)
        t->headers = curl_slist_append(t->headers, *h);
    for (const char *const *r = call->mail_rcpt; r && *r; r++)
        t->rcpt = curl_slist_append(t->rcpt, *r);
    t->mail_from = call->mail_from ? xstrdup(call->mail_from) : NULL;
    t->headers = curl_slist_append(t->headers, "Expect:"); /* no 100-continue round trip */
    t->timeout_ms = call->timeout_ms > 0 ? call->timeout_ms : 10000;
    t->label = call->label ? xstrdup(call->label) : NULL;
    t->submitted_us = clock_mono_us();
    t->done = call->done;
    t->ctx = call->ctx;
    buf_init(&t->resp, o->max_response);
    buf_init(&t->head, HEADERS_MAX);
    pthread_mutex_lock(&o->lock);
    if (!o->stopping) {
        t->next = o->queue;
        o->queue = t;
        queued = true;
    }
    pthread_mutex_unlock(&o->lock);
    if (!queued) {
        transfer_free(t);
        return err_set(err, ERR_UNAVAILABLE, "the server is shutting down");
    }
    atomic_fetch_add(&o->in_flight, 1);
    curl_multi_wakeup(o->multi);
    return ERR_OK;
}

const char *outbound_header(const struct outbound_response *r, const char *name, char *out, size_t n)
{
    size_t len = strlen(name);

    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t linelen = end ? (size_t)(end - line) : strlen(line);
        if (linelen > len && strncasecmp(line, name, len) == 0 && line[len] == ':') {
            const char *v = line + len + 1;
            size_t vlen = linelen - len - 1;
            while (vlen > 0 && (*v == ' ' || *v == '\t'))
                v++, vlen--;
            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            snprintf(out, n, "%.*s", (int)vlen, v);
            return out;
        }
        line = end ? end + 2 : NULL;
    }
    return NULL;
}

static void curl_global_init_default(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The label of stats slot i, escaped into out; NULL for a slot never used. */
static const char *slot_label(struct outbound *o, size_t i, char *out, size_t n)
{
    char *name = i < LABELS_MAX ? atomic_load(&o->stats[i].label) : "other";
    uint64_t calls = 0;

    for (int k = 0; k < OUTCOMES; k++)
        calls += atomic_load_explicit(&o->stats[i].outcomes[k], memory_order_relaxed);
    if (!name || !calls)
        return NULL;
    metrics_escape(out, n, name);
    return out;
}

void outbound_metrics_write(struct outbound *o, struct metrics_out *m)
{
    char label[128], labels[192];

    metrics_family(m, "slipway_outbound_calls_total", "counter",
                   "Calls to providers by provider (as the caller labels them) and outcome: the status class that answered, "
                   "or why none did (network, timeout, tls, blocked, too_large, login, no_starttls).");
    for (size_t i = 0; i <= LABELS_MAX; i++) {
        if (!slot_label(o, i, label, sizeof label))
            continue;
        for (int k = 0; k < OUTCOMES; k++) {
            uint64_t n = atomic_load_explicit(&o->stats[i].outcomes[k], memory_order_relaxed);
            if (n)
                metrics_printf(m, "slipway_outbound_calls_total{provider=\"%s\",outcome=\"%s\"} %llu\n", label, outcome_names[k],
                               (unsigned long long)n);
        }
    }
    metrics_family(m, "slipway_outbound_call_duration_seconds", "histogram",
                   "Time from a call's submission to its end (answer or failure), by provider.");
    for (size_t i = 0; i <= LABELS_MAX; i++) {
        if (!slot_label(o, i, label, sizeof label))
            continue;
        snprintf(labels, sizeof labels, "provider=\"%s\"", label);
        metrics_histogram_write(m, "slipway_outbound_call_duration_seconds", labels, &o->stats[i].latency);
    }
    metrics_family(m, "slipway_outbound_calls_in_flight", "gauge", "Calls to providers submitted and not yet ended.");
    metrics_printf(m, "slipway_outbound_calls_in_flight %d\n", atomic_load(&o->in_flight));
}
