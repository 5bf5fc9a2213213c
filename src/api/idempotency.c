#include "api/idempotency.h"
#include "api/auth.h"
#include "api/common.h"
#include "http/problem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sg_api_idem_precheck(sg_http_req *req, sg_app *app, sg_idem_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    const char *key = sg_http_header(req, "Idempotency-Key");
    if (!key)
        return true;
    if (!sg_idem_key_valid(key)) {
        sg_http_problem(req, 400, "invalid_request", "Idempotency-Key",
                        "Idempotency-Key must be 1 to %d printable ASCII characters",
                        SG_IDEM_KEY_MAX);
        return false;
    }
    snprintf(ctx->key, sizeof ctx->key, "%s", key);
    snprintf(ctx->key_id, sizeof ctx->key_id, "%s", sg_auth_caller(req)->key_id);
    size_t len;
    const char *body = sg_http_body(req, &len);
    sg_idem_fingerprint(sg_http_method(req), sg_http_path(req), body, len, ctx->fingerprint);
    char stored_fp[72];
    int status;
    char *stored = NULL;
    sg_err err = sg_store_idem_get(app->store, ctx->key_id, key, stored_fp, &status, &stored);
    if (err == SG_ERR_NOT_FOUND) {
        ctx->active = true;
        return true;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the idempotency key");
        return false;
    }
    if (sg_idem_decide(stored_fp, ctx->fingerprint) == SG_IDEM_REPLAY) {
        sg_http_respond(req, status,
                        status >= 400 ? "application/problem+json" : "application/json", stored,
                        strlen(stored));
        sg_http_add_header(req, "Idempotent-Replayed", "true");
    } else {
        sg_http_problem(req, 409, "idempotency_conflict", "Idempotency-Key",
                        "Idempotency-Key '%s' was used before with a different request", key);
    }
    free(stored);
    return false;
}
