/*
 * pages_http.h: a site's public pages, no login (docs/sites.md): the index
 * of its published posts, a post, and the Atom feed; by /s/{slug} or by a
 * verified custom domain (sites_rewrite maps the Host to the same routes).
 */
#ifndef SLIPWAY_PAGES_HTTP_H
#define SLIPWAY_PAGES_HTTP_H

#include "http/router.h"

enum err_code site_page_index(struct request *req, struct err *err);
enum err_code site_page_post(struct request *req, struct err *err);
enum err_code site_page_feed(struct request *req, struct err *err);
/* The same with drafts and scheduled posts, for a logged-in member of the tenant when the site's draftsPreviewable is on (else
 * 404). */
enum err_code site_page_preview_index(struct request *req, struct err *err);
enum err_code site_page_preview_post(struct request *req, struct err *err);

#endif
