/* Idempotency-Key for the API (DESIGN.md): a retried POST with the same key and
 * the same request gets the first answer; the same key with another request is a
 * 409. Message inserts store the key in the same transaction as the messages
 * (messages.c); other POSTs (routes flagged SG_API_IDEMPOTENT) record it right
 * after the handler answered 2xx (hooks.c). */
#ifndef SG_API_IDEMPOTENCY_H
#define SG_API_IDEMPOTENCY_H

#include "api/app.h"
#include "core/idempotency.h"
#include "http/server.h"

typedef struct sg_idem_ctx {
    bool active; /* the request carries a valid key that is new */
    char key[SG_IDEM_KEY_MAX + 1];
    char key_id[SG_ID_MAX];
    char fingerprint[SG_IDEM_FINGERPRINT_LEN];
} sg_idem_ctx;

/* Look at the request's Idempotency-Key. Returns false after answering the
 * request (a replay, a conflict, an invalid key, a store failure); true to go on,
 * with ctx->active set when the key must be recorded with the answer. */
bool sg_api_idem_precheck(sg_http_req *req, sg_app *app, sg_idem_ctx *ctx);

#endif
