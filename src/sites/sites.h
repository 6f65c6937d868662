/*
 * sites.h: a tenant's public release-notes sites (docs/sites.md): what the
 * handlers share (slugs, the custom-domain cache in front of the router),
 * and what other modules call (the post made from a release's notes).
 */
#ifndef SLIPWAY_SITES_H
#define SLIPWAY_SITES_H

#include "http/request.h"

struct jobs;
struct provider_loop;
struct workpool;

struct sites_env {
    struct store *store;              /* custom domains are looked up on it, outside any request's connection */
    const struct provider_loop *loop; /* domain checks go out on it, through the outbound guard */
    struct workpool *pool;            /* a check's answer is written on it (not on the loop thread) */
    const char *check_address;        /* SLIPWAY_DOMAIN_CHECK_ADDRESS: where checks connect instead of the domain, or "" */
    const char *dns_resolver;         /* SLIPWAY_DNS_RESOLVER: the DNS server TXT proofs ask (IPv4:PORT), or "": none */
    struct workpool *dns_pool;        /* where DNS proofs run (they block), when dns_resolver is set */
    int recheck_s;                    /* SLIPWAY_DOMAIN_RECHECK: a proven domain checked longer ago is checked again (proof.h) */
    struct jobs *jobs;                /* the engine, once started: the re-check's sweep queues on it */
};

/* Called once at start-up, before the routes serve; sites_stop once nothing serves any more. */
void sites_start(const struct sites_env *env);
void sites_stop(void);
const struct sites_env *sites(void);

/*
 * Public pages are kept, rendered, in a per-process cache (struct revcache)
 * valid at one revision: sites_revision() changes every second and at each
 * sites_changed() (every write of this module in this process), so a page
 * is at most a second old in another process and never in this one.
 */
struct revcache *sites_pages(void);
int64_t sites_revision(void);
void sites_changed(void);

#define SITE_SLUG_MAX 63
#define POST_SLUG_MAX 100
#define HOST_NAME_MAX_LEN 253

/* A site's slug: 1 to 63 of a-z 0-9 -, starting with a letter or digit. */
bool site_slug_valid(const char *s);
/* A post's slug: 1 to 100 of a-z 0-9 - _ ., starting with a letter or digit, not "feed.atom" or "preview". */
bool post_slug_valid(const char *s);
/* A host name as DNS has it (lower case letters, digits, hyphens, dots; two labels at least; no IP address). */
bool host_name_valid(const char *s);

/*
 * The server's rewrite hook (server.h), before routing: a request whose
 * Host is a verified custom domain is served as that site's pages
 * ("/" -> "/s/{slug}", "/x" -> "/s/{slug}/x"), except /api/ and /hooks/,
 * which every host name serves; and "/s/{slug}/" is "/s/{slug}".
 */
void sites_rewrite(struct request *req);

/* The slug of the site the request's Host is a verified domain of, copied into out; false when none. */
bool sites_host_site(const struct request *req, char out[SITE_SLUG_MAX + 1]);
/* Forgets what this process cached of host (a domain verified or removed here). */
void sites_host_forget(const char *host);

/* A post to insert (post_insert): status "DRAFT", "SCHEDULED" or "PUBLISHED"; published_at NULL for a draft. */
struct post_new {
    const char *site_id, *title, *slug, *body, *status, *published_at, *release_id, *account_id;
};

/* Inserts p into tenant's posts on c (in the caller's transaction), with a fresh id in id; a taken slug is ERR_CONFLICT. */
enum err_code post_insert(struct store_conn *c, const char *tenant_id, const struct post_new *p, char id[UUID_SIZE],
                          struct err *err);

/*
 * The post telling a release: in each of the tenant's sites that has none
 * for this release yet and shows one of its platforms and one of the apps
 * (store targets) its store submissions went to (a site's empty list: all;
 * docs/sites.md "Which apps a site shows"), a post titled "Release {version}" whose body is
 * notes (Markdown), slug "release-{version}", a draft, or published now when
 * the site's autoPublishNotes is on. Runs in the caller's transaction on c
 * (the releases module calls it when a release finishes with its notes).
 * *made (may be NULL) gets the number of posts made.
 */
enum err_code sites_post_from_release(struct store_conn *c, const char *tenant_id, const char *release_id, const char *notes,
                                      int *made, struct err *err);

#endif
