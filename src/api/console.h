/* The web console: the built front end (console/dist), embedded in the binary
 * by scripts/embed_console.py, served under /console/ beside the API. */
#ifndef SG_API_CONSOLE_H
#define SG_API_CONSOLE_H

#include "http/server.h"

#include <stdbool.h>
#include <stddef.h>

/* One embedded file. path is relative to /console/ ("index.html",
 * "assets/index-Ab12.js"); etag is a quoted strong validator; hashed files
 * (content-hashed names under assets/) are cached for a year. Static data. */
typedef struct sg_console_asset {
    const char *path;
    const char *content_type;
    const unsigned char *data;
    size_t len;
    const char *etag;
    bool hashed;
} sg_console_asset;

/* The generated table (console_assets.c); sg_console_n_assets is 0 when the
 * console was not built. */
extern const sg_console_asset sg_console_assets[];
extern const size_t sg_console_n_assets;

/* The asset a /console/ path names ("" and "index.html": index.html), or NULL. */
const sg_console_asset *sg_console_find(const char *rel);
/* True when a path under /console/ names a file (its last segment has a dot,
 * or it is under assets/) rather than a page of the app: such a path that is
 * not embedded is 404, never index.html. */
bool sg_console_is_file_path(const char *rel);
/* True when If-None-Match (a header value, may be NULL) matches etag: "*", or
 * one of its comma-separated entity tags, weak ("W/") or not. */
bool sg_console_etag_matches(const char *if_none_match, const char *etag);

/* GET / and GET /console → 302 to /console/. */
sg_http_result sg_console_redirect(sg_http_req *req, void *ctx);
/* GET /console/... → an asset, or index.html for the app's own routes. */
sg_http_result sg_console_get(sg_http_req *req, void *ctx);

#endif
