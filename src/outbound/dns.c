/* dns.c: a TXT question to the operator's DNS server (dns.h). */
#define _DEFAULT_SOURCE /* resolv.h's res_state and ns_* parsing */
#include "outbound/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include "core/log.h"

/* "a.b.c.d:port" into addr; false when it is not one. */
static bool server_parse(const char *server, struct sockaddr_in *addr)
{
    const char *colon = strrchr(server, ':');
    char host[INET_ADDRSTRLEN];
    unsigned port = 0;
    char extra;

    if (!colon || (size_t)(colon - server) >= sizeof host || sscanf(colon + 1, "%u%c", &port, &extra) != 1 || port == 0 ||
        port > 65535)
        return false;
    memcpy(host, server, (size_t)(colon - server));
    host[colon - server] = '\0';
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &addr->sin_addr) == 1;
}

/* Whether the TXT rdata (strings of <length><bytes>) joined is want. */
static bool txt_is(const unsigned char *p, size_t len, const char *want)
{
    const unsigned char *end = p + len;
    size_t at = 0, n = strlen(want);

    while (p < end) {
        size_t l = *p++;
        if (l > (size_t)(end - p) || at + l > n || memcmp(want + at, p, l) != 0)
            return false;
        at += l;
        p += l;
    }
    return at == n;
}

int dns_txt_match(const char *server, const char *name, const char *want, int timeout_ms, struct err *err)
{
    struct __res_state res;
    struct sockaddr_in addr;
    unsigned char answer[4096];
    ns_msg msg;
    int len, found = 0;

    if (!server_parse(server, &addr)) {
        log_error("dns: SLIPWAY_DNS_RESOLVER is not IPV4:PORT");
        err_set(err, ERR_UNAVAILABLE, "the DNS resolver is misconfigured");
        return -1;
    }
    memset(&res, 0, sizeof res);
    if (res_ninit(&res) != 0) {
        err_set(err, ERR_UNAVAILABLE, "the DNS resolver could not be set up");
        return -1;
    }
    /* Only the operator's server, no search list, one retry. */
    res.nscount = 1;
    res.nsaddr_list[0] = addr;
    res.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
    res.retrans = timeout_ms >= 2000 ? timeout_ms / 2000 : 1;
    res.retry = 2;
    len = res_nquery(&res, name, ns_c_in, ns_t_txt, answer, sizeof answer);
    if (len < 0) {
        int h = res.res_h_errno;
        res_nclose(&res);
        if (h == HOST_NOT_FOUND || h == NO_DATA)
            return 0;
        err_set(err, ERR_UNAVAILABLE, "the DNS server did not answer");
        return -1;
    }
    if (ns_initparse(answer, len, &msg) == 0)
        for (int i = 0; !found && i < ns_msg_count(msg, ns_s_an); i++) {
            ns_rr rr;
            if (ns_parserr(&msg, ns_s_an, i, &rr) != 0)
                break;
            found = ns_rr_type(rr) == ns_t_txt && txt_is(ns_rr_rdata(rr), ns_rr_rdlen(rr), want);
        }
    res_nclose(&res);
    return found;
}
