#include "api/hooks.h"
#include "compat/twilio_api.h"
#include "api/app.h"
#include "api/auth.h"
#include "api/idempotency.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

typedef struct idem_user {
    sg_caller caller; /* first: sg_auth_caller() reads it */
    sg_idem_ctx idem;
} idem_user;

sg_http_result sg_api_authenticate(sg_http_req *req, const sg_route *route, void *ctx)
{
    if (route->flags & SG_API_COMPAT_TWILIO)
        return sg_compat_twilio_authenticate(req, route, ctx);
    return sg_auth_before(req, route, ctx);
}

sg_http_result sg_api_before(sg_http_req *req, const sg_route *route, void *ctx)
{
    if (!(route->flags & SG_API_IDEMPOTENT) || !sg_http_header(req, "Idempotency-Key") ||
        !sg_auth_caller(req))
        return SG_HTTP_PENDING;
    /* Widen the caller record so the key travels with the request. */
    idem_user *u = calloc(1, sizeof *u);
    if (!u)
        return SG_HTTP_PENDING;
    u->caller = *sg_auth_caller(req);
    sg_http_set_user(req, u, free); /* frees the previous caller record */
    if (!sg_api_idem_precheck(req, ctx, &u->idem))
        return SG_HTTP_DONE;
    return SG_HTTP_PENDING;
}

void sg_api_after(sg_http_req *req, const sg_route *route, void *ctx)
{
    sg_app *app = ctx;
    if (!(route->flags & SG_API_IDEMPOTENT) || !sg_http_header(req, "Idempotency-Key"))
        return;
    idem_user *u = sg_http_user(req);
    int status = sg_http_response_status(req);
    if (!u || !u->idem.active || status < 200 || status >= 300)
        return;
    size_t len;
    const char *body = sg_http_response_body(req, &len);
    sg_idem_write w = {u->idem.key_id, u->idem.key, u->idem.fingerprint, status, body};
    sg_error e = {0};
    if (sg_store_idem_put(app->store, &w, &e) != SG_OK) {
        char path[256];
        sg_http_log_path(req, path, sizeof path);
        sg_log(SG_LOG_WARN, "idempotency_not_recorded", "path=%s error=\"%s\"", path, e.message);
    }
}
