/*
 * ui_assets.h: the web UI's files, compiled into the binary.
 *
 * The table is generated at build time by cmake/embed_ui.cmake from every
 * file directly under ui/ (build/gen/ui_assets.c). It is read-only static
 * data: entries and their bytes live as long as the process. Each body is
 * also NUL-terminated (not counted in len).
 */
#ifndef SLIPWAY_UI_ASSETS_H
#define SLIPWAY_UI_ASSETS_H

#include <stddef.h>

struct ui_asset {
    const char *name;         /* file name under ui/, e.g. "app.js" */
    const char *content_type; /* from the extension */
    const char *body;
    size_t len;
    const char *etag; /* strong ETag, quoted: a prefix of the SHA-256 of body */
};

extern const struct ui_asset ui_assets[];
extern const size_t ui_assets_count;

#endif
