/*
 * ui_http.h: the web UI's two routes. GET / is ui/index.html; GET
 * /ui/{asset} is any other embedded file. Both are public (the page itself
 * holds no data: everything it shows comes from the API under the caller's
 * session), revalidated by ETag, and sent with a strict
 * Content-Security-Policy. docs/ui.md describes the UI.
 */
#ifndef SLIPWAY_UI_HTTP_H
#define SLIPWAY_UI_HTTP_H

#include "http/router.h"

enum err_code ui_index(struct request *req, struct err *err);
enum err_code ui_asset(struct request *req, struct err *err);

#endif
