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

/* Answer a store failure: 503 store_busy (with Retry-After), 507 store_full,
 * 404, 409, or 500 store_error. */
void sg_api_store_error(sg_http_req *req, sg_err err, const char *detail);

/* Parse a "limit" query argument: default when absent, 400 (answered, returns
 * false) when not an integer in 1..max. */
bool sg_api_limit(sg_http_req *req, size_t def, size_t max, size_t *out);

/* RFC 3339 text of a time in ms. */
json_t *sg_api_time_json(int64_t ms);

struct sg_contact;
/* A contact as the API shows it. */
json_t *sg_api_contact_json(const struct sg_contact *c);

#endif
