#include "api/common.h"
#include "http/problem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* "application/json", optionally followed by parameters ("; charset=utf-8"). */
static bool media_type_is_json(const char *ct)
{
    while (*ct == ' ')
        ct++;
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

json_t *sg_api_json_body(sg_http_req *req)
{
    const char *ct = sg_http_header(req, "Content-Type");
    if (ct && !media_type_is_json(ct)) {
        sg_http_problem(req, 415, "unsupported_media_type", NULL,
                        "send the body as application/json (got %.64s)", ct);
        return NULL;
    }
    size_t len;
    const char *body = sg_http_body(req, &len);
    if (len == 0) {
        sg_http_problem(req, 400, "invalid_json", NULL, "the request needs a JSON body");
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        /* jansson quotes the text near the fault ("... near '\"s3cret\"'"): the
         * body may hold a secret, so only the reason and the position are told */
        char *near = strstr(jerr.text, " near ");
        if (near)
            *near = '\0';
        sg_http_problem(req, 400, "invalid_json", NULL, "%s (line %d, column %d)", jerr.text,
                        jerr.line, jerr.column);
        return NULL;
    }
    return j;
}

void sg_api_store_error(sg_http_req *req, sg_err err, const char *detail)
{
    switch (err) {
    case SG_ERR_BUSY:
        sg_http_add_header(req, "Retry-After", "1");
        sg_http_problem(req, 503, "store_busy", NULL, "the database is busy, retry shortly: %s",
                        detail);
        break;
    case SG_ERR_FULL:
        sg_http_problem(req, 507, "store_full", NULL, "the database or disk is full: %s", detail);
        break;
    case SG_ERR_NOT_FOUND:
        sg_http_problem(req, 404, "not_found", NULL, "%s", detail);
        break;
    case SG_ERR_CONFLICT:
        sg_http_problem(req, 409, "conflict", NULL, "%s", detail);
        break;
    case SG_ERR_SHUTDOWN:
        sg_http_add_header(req, "Retry-After", "5");
        sg_http_problem(req, 503, "shutting_down", NULL, "smsgate is shutting down");
        break;
    case SG_ERR_UNAVAILABLE: /* PostgreSQL lost or restarting: nothing was written */
        sg_http_add_header(req, "Retry-After", "1");
        sg_http_problem(req, 503, "store_unavailable", NULL,
                        "the database cannot be reached, retry shortly: %s", detail);
        break;
    case SG_ERR_UNSUPPORTED: /* a store subject this backend does not have yet */
        sg_http_problem(req, 501, "not_implemented", NULL,
                        "%s: not available on this database backend yet (docs/postgresql.md)",
                        detail);
        break;
    default:
        sg_http_problem(req, 500, "store_error", NULL, "%s", detail);
        break;
    }
}

bool sg_api_page_parse(sg_http_req *req, size_t def, size_t max, sg_api_page *out)
{
    out->limit = def;
    out->cursor = NULL;
    const char *s = sg_http_query(req, "limit");
    if (s) {
        size_t v = 0, n = strspn(s, "0123456789");
        bool ok = n > 0 && s[n] == '\0' && n <= 9;
        for (size_t i = 0; ok && i < n; i++)
            v = v * 10 + (size_t)(s[i] - '0');
        if (!ok || v < 1 || v > max) {
            sg_http_problem(req, 400, "invalid_limit", "limit",
                            "limit must be a whole number from 1 to %zu", max);
            return false;
        }
        out->limit = v;
    }
    const char *c = sg_http_query(req, "cursor");
    if (c) {
        size_t n = strnlen(c, 129);
        bool ok = n > 0 && n <= 128;
        for (size_t i = 0; ok && i < n; i++)
            ok = c[i] > ' ' && c[i] < 0x7f;
        if (!ok) {
            sg_api_bad_cursor(req);
            return false;
        }
        out->cursor = c;
    }
    return true;
}

bool sg_api_limit(sg_http_req *req, size_t def, size_t max, size_t *out)
{
    sg_api_page pg;
    if (!sg_api_page_parse(req, def, max, &pg))
        return false;
    *out = pg.limit;
    return true;
}

void sg_api_bad_cursor(sg_http_req *req)
{
    sg_http_problem(req, 400, "invalid_cursor", "cursor",
                    "cursor must be a next_cursor value from a previous page");
}

/* Where the page after cursor starts in data, or -1 when it names no item. */
static long page_start(json_t *data, const char *key, const char *cursor)
{
    if (!cursor)
        return 0;
    size_t n = json_array_size(data);
    if (!key) {
        size_t len = strspn(cursor, "0123456789");
        if (len == 0 || cursor[len] || len > 9)
            return -1;
        size_t skip = (size_t)strtoul(cursor, NULL, 10);
        return skip <= n ? (long)skip : -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = json_string_value(json_object_get(json_array_get(data, i), key));
        if (v && strcmp(v, cursor) == 0)
            return (long)i + 1;
    }
    return -1;
}

bool sg_api_page_slice(json_t *list, const char *key, const sg_api_page *pg)
{
    json_t *data = json_object_get(list, "data");
    long start = page_start(data, key, pg->cursor);
    if (start < 0)
        return false;
    size_t n = json_array_size(data), end = (size_t)start + pg->limit;
    if (end > n)
        end = n;
    json_t *page = json_array();
    for (size_t i = (size_t)start; i < end; i++)
        json_array_append(page, json_array_get(data, i));
    json_t *next = json_null();
    if (end < n) {
        char skip[24];
        snprintf(skip, sizeof skip, "%zu", end);
        next = key ? json_incref(json_object_get(json_array_get(data, end - 1), key))
                   : json_string(skip);
    }
    json_object_set_new(list, "data", page);
    json_object_set_new(list, "next_cursor", next ? next : json_null());
    return true;
}

void sg_api_respond_page(sg_http_req *req, json_t *list, const char *key, const sg_api_page *pg)
{
    if (sg_api_page_slice(list, key, pg)) {
        sg_http_respond_json(req, 200, list);
        return;
    }
    json_decref(list);
    sg_api_bad_cursor(req);
}
