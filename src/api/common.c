#include "api/common.h"
#include "http/problem.h"

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
    default:
        sg_http_problem(req, 500, "store_error", NULL, "%s", detail);
        break;
    }
}

bool sg_api_limit(sg_http_req *req, size_t def, size_t max, size_t *out)
{
    const char *s = sg_http_query(req, "limit");
    if (!s) {
        *out = def;
        return true;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < 1 || (size_t)v > max) {
        sg_http_problem(req, 400, "invalid_request", "limit", "limit must be 1..%zu", max);
        return false;
    }
    *out = (size_t)v;
    return true;
}
