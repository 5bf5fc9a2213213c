/* What runs around every API handler: authentication and role check as soon as
 * the headers are in (sg_api_authenticate, before the body is read), then once
 * the body is in (for routes flagged SG_API_IDEMPOTENT) the Idempotency-Key
 * lookup (sg_api_before); after a 2xx answer, the key is recorded with it
 * (sg_api_after). */
#ifndef SG_API_HOOKS_H
#define SG_API_HOOKS_H

#include "http/server.h"

#define SG_API_IDEMPOTENT 1 /* sg_route.flags: generic Idempotency-Key handling */

sg_http_result sg_api_authenticate(sg_http_req *req, const sg_route *route, void *ctx);
sg_http_result sg_api_before(sg_http_req *req, const sg_route *route, void *ctx);
void sg_api_after(sg_http_req *req, const sg_route *route, void *ctx);

#endif
