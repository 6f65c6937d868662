/*
 * ui_http.c: serves the embedded UI (ui_assets.h) with caching and
 * security headers. Lookups walk the small generated table; nothing is
 * read from disk.
 */
#include "ui/ui_http.h"

#include "ui/ui_assets.h"

/*
 * Scripts, styles, images and API calls come from this origin only; no
 * inline script or style, no plugins, no framing, no <base>, forms post
 * only here.
 */
static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
                          "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

static const struct ui_asset *ui_asset_find(const char *name)
{
    for (size_t i = 0; i < ui_assets_count; i++)
        if (strcmp(ui_assets[i].name, name) == 0)
            return &ui_assets[i];
    return NULL;
}

static enum err_code ui_send(struct request *req, const struct ui_asset *asset)
{
    response_header(req, "Content-Security-Policy", csp);
    response_header(req, "Referrer-Policy", "no-referrer");
    response_header(req, "X-Frame-Options", "DENY");
    response_header(req, "Cross-Origin-Opener-Policy", "same-origin");
    /* Asset names are not versioned: caches keep them but ask each time (an unchanged one is a 304). */
    response_header(req, "Cache-Control", "no-cache");
    response_header(req, "ETag", asset->etag);
    if (etag_matches(request_header(req, "If-None-Match"), asset->etag)) {
        response_empty(req, 304);
        return ERR_OK;
    }
    response_static(req, 200, asset->content_type, asset->body, asset->len);
    return ERR_OK;
}

enum err_code ui_index(struct request *req, struct err *err)
{
    const struct ui_asset *index = ui_asset_find("index.html");

    if (!index)
        return err_set(err, ERR_NOT_FOUND, "this build has no web UI");
    return ui_send(req, index);
}

enum err_code ui_asset(struct request *req, struct err *err)
{
    const struct ui_asset *asset = ui_asset_find(request_param(req, "asset"));

    if (!asset)
        return err_set(err, ERR_NOT_FOUND, "not found");
    return ui_send(req, asset);
}
