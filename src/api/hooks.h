/* What runs around every API handler: authentication and role check first, then
 * (for routes flagged SG_API_IDEMPOTENT) the Idempotency-Key lookup; after a 2xx
 * answer, the key is recorded with it. */
#ifndef SG_API_HOOKS_H
#define SG_API_HOOKS_H

#include "http/server.h"

#define SG_API_IDEMPOTENT 1 /* sg_route.flags: generic Idempotency-Key handling */

sg_http_result sg_api_before(sg_http_req *req, const sg_route *route, void *ctx);
void sg_api_after(sg_http_req *req, const sg_route *route, void *ctx);

#endif
