/* Small pieces every API handler uses. */
#ifndef SG_API_COMMON_H
#define SG_API_COMMON_H

#include "http/server.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Parse the request body as a JSON value. On failure answers the request (400
 * invalid_json, 415 for another content type) and returns NULL. */
json_t *sg_api_json_body(sg_http_req *req);

/* Answer a store failure: 503 store_busy or store_unavailable (with
 * Retry-After), 507 store_full, 404, 409, 501 not_implemented (a store subject
 * the backend does not have yet), or 500 store_error. */
void sg_api_store_error(sg_http_req *req, sg_err err, const char *detail);

/* A page of a list: every list endpoint reads its "limit" and "cursor" query
 * arguments with sg_api_page_parse, so they mean the same everywhere. */
typedef struct sg_api_page {
    size_t limit;
    const char *cursor; /* NULL when absent; borrowed from the request */
} sg_api_page;

/* limit: decimal digits only, 1..max (def when absent); cursor: 1 to 128
 * printable ASCII bytes (what each list's next_cursor gives). Otherwise answers
 * 400 invalid_limit (field limit) or invalid_cursor (field cursor) and returns
 * false. */
bool sg_api_page_parse(sg_http_req *req, size_t def, size_t max, sg_api_page *out);
/* The same, for a list that keeps its own cursor: the limit into *out. */
bool sg_api_limit(sg_http_req *req, size_t def, size_t max, size_t *out);
/* Answer 400 invalid_cursor: the cursor is well formed but names no page. */
void sg_api_bad_cursor(sg_http_req *req);
/* Page a list held whole in memory: list is {"data": [...], ...}, in its order;
 * the items after the cursor (the value of member key of the last item of the
 * previous page; with key NULL, a count of items to skip) are kept, at most
 * pg->limit, and "next_cursor" is set (null on the last page). False when the
 * cursor names no item (list unchanged): answer with sg_api_bad_cursor. */
bool sg_api_page_slice(json_t *list, const char *key, const sg_api_page *pg);
/* Answer 200 with the page of list (sg_api_page_slice), or 400 invalid_cursor.
 * Takes list. */
void sg_api_respond_page(sg_http_req *req, json_t *list, const char *key, const sg_api_page *pg);

/* RFC 3339 text of a time in ms. */
json_t *sg_api_time_json(int64_t ms);

struct sg_contact;
/* A contact as the API shows it. */
json_t *sg_api_contact_json(const struct sg_contact *c);

#endif
