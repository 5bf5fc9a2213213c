#include "api/console.h"
#include "http/problem.h"

#include <string.h>

/* The console's own documents forbid everything but its own files: no inline
 * script or style, no framing, no plugin, forms only to itself. The HTTP layer
 * may add a site-wide policy too; a browser enforces both. */
#define CONSOLE_CSP                                                                                \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "                    \
    "form-action 'self'; frame-ancestors 'none'"

#define CACHE_HASHED "public, max-age=31536000, immutable"
#define CACHE_OTHER  "no-cache"

#define PREFIX "/console/"

const sg_console_asset *sg_console_find(const char *rel)
{
    if (*rel == '\0')
        rel = "index.html";
    for (size_t i = 0; i < sg_console_n_assets; i++) {
        if (strcmp(sg_console_assets[i].path, rel) == 0)
            return &sg_console_assets[i];
    }
    return NULL;
}

bool sg_console_is_file_path(const char *rel)
{
    const char *last = strrchr(rel, '/');
    last = last ? last + 1 : rel;
    return strncmp(rel, "assets/", 7) == 0 || strchr(last, '.') != NULL;
}

/* Does the entity tag at t (length n, surrounding spaces trimmed) equal etag? */
static bool tag_equals(const char *t, size_t n, const char *etag)
{
    if (n >= 2 && t[0] == 'W' && t[1] == '/') {
        t += 2;
        n -= 2;
    }
    return (n == 1 && t[0] == '*') || (n == strlen(etag) && memcmp(t, etag, n) == 0);
}

bool sg_console_etag_matches(const char *if_none_match, const char *etag)
{
    const char *p = if_none_match;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *t = p;
        while (n > 0 && (*t == ' ' || *t == '\t')) {
            t++;
            n--;
        }
        while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
            n--;
        if (tag_equals(t, n, etag))
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static sg_http_result redirect(sg_http_req *req, const char *to)
{
    sg_http_add_header(req, "Location", to);
    sg_http_respond(req, 302, "text/plain; charset=utf-8", "", 0);
    return SG_HTTP_DONE;
}

sg_http_result sg_console_redirect(sg_http_req *req, void *ctx)
{
    return redirect(req, PREFIX);
}

/* Answer with a, or 304 when the client's copy (If-None-Match) is current. */
static void send_asset(sg_http_req *req, const sg_console_asset *a)
{
    sg_http_add_header(req, "ETag", a->etag);
    sg_http_add_header(req, "Cache-Control", a->hashed ? CACHE_HASHED : CACHE_OTHER);
    if (strncmp(a->content_type, "text/html", 9) == 0)
        sg_http_add_header(req, "Content-Security-Policy", CONSOLE_CSP);
    if (sg_console_etag_matches(sg_http_header(req, "If-None-Match"), a->etag)) {
        sg_http_respond(req, 304, NULL, "", 0);
        return;
    }
    sg_http_respond(req, 200, a->content_type, (const char *)a->data, a->len);
}

sg_http_result sg_console_get(sg_http_req *req, void *ctx)
{
    const char *path = sg_http_path(req);
    const char *rel = strncmp(path, PREFIX, strlen(PREFIX)) == 0 ? path + strlen(PREFIX) : "";
    if (sg_console_n_assets == 0) {
        sg_http_problem(req, 503, "console_not_built", NULL,
                        "this smsgate was built without its console: run `make build` (needs "
                        "Node 20 and npm)");
        return SG_HTTP_DONE;
    }
    const sg_console_asset *a = sg_console_find(rel);
    if (!a && !sg_console_is_file_path(rel))
        a = sg_console_find("index.html");
    if (!a) {
        sg_http_problem(req, 404, "not_found", NULL, "no such console file: %s", path);
        return SG_HTTP_DONE;
    }
    send_asset(req, a);
    return SG_HTTP_DONE;
}
