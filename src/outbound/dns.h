/*
 * dns.h: one DNS TXT question to one server the operator names (a site's
 * DNS domain proof, docs/sites.md).
 *
 * The server is configuration (SLIPWAY_DNS_RESOLVER), never user input, so
 * the outbound guard does not apply to it: the question names the user's
 * domain, the packet goes to the operator's resolver. Blocking (libresolv's
 * res_nquery over UDP): call it from a pool thread, never the loop's.
 */
#ifndef SLIPWAY_DNS_H
#define SLIPWAY_DNS_H

#include "core/common.h"
#include "core/err.h"

/* Whether server ("IPv4:PORT") answers a TXT record of name equal to want (its strings joined): 1 yes, 0 no, -1 err. */
int dns_txt_match(const char *server, const char *name, const char *want, int timeout_ms, struct err *err);

#endif
