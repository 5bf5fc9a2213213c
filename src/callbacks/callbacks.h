/* Provider webhooks (delivery reports and inbound messages). ctx is the sg_app.
 * The routes are public: each request is authenticated by the provider's own
 * mechanism (Twilio: X-Twilio-Signature). */
#ifndef SG_CALLBACKS_CALLBACKS_H
#define SG_CALLBACKS_CALLBACKS_H

#include "http/server.h"

/* The body limit of every callback route: a provider's signature covers the
 * body, so it is read before anyone is authenticated, and a delivery report or
 * an inbound SMS is a few KiB at most. */
#define SG_CALLBACK_MAX_BODY (64 * 1024)

sg_http_result sg_callback_status(sg_http_req *req, void *ctx);
sg_http_result sg_callback_inbound(sg_http_req *req, void *ctx);

/* /callbacks/{provider-id}/{secret}/status and /inbound, GET or POST: for
 * providers that cannot sign (Clickatell), authenticated by the secret in the URL
 * and, optionally, the provider's allow_from networks. */
sg_http_result sg_callback_secret_status(sg_http_req *req, void *ctx);
sg_http_result sg_callback_secret_inbound(sg_http_req *req, void *ctx);

#endif
