/* Erasure (DELETE /v1/contacts/{id}?erase=true), recorded in the audit log
 * (GET /v1/audit, audit.c). */
#include "api/auth.h"
#include "api/common.h"
#include "api/handlers.h"
#include "http/problem.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sg_http_result sg_api_contact_erase(sg_http_req *req, sg_app *app, const char *contact_id)
{
    const sg_caller *caller = sg_auth_caller(req);
    const char *actor = sg_auth_actor(caller);
    sg_erase_counts n;
    sg_error e = {0};
    sg_err err = sg_store_contact_erase(app->store, contact_id, actor, sg_time_now_ms(), &n, &e);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no contact %.64s", contact_id);
        return SG_HTTP_DONE;
    }
    if (err) {
        sg_api_store_error(req, err, e.message);
        return SG_HTTP_DONE;
    }
    /* Never the number: the point is that it is gone. */
    sg_log(SG_LOG_INFO, "contact_erased",
           "contact=%s by=%s messages=%lld events=%lld consent_events=%lld deliveries=%lld",
           contact_id, actor, (long long)n.messages, (long long)n.events,
           (long long)n.consent_events, (long long)n.deliveries);
    sg_http_respond_json(req, 200,
                         json_pack("{s:s, s:b, s:{s:I, s:I, s:I, s:I}}", "id", contact_id,
                                   "erased", 1, "counts", "messages", (json_int_t)n.messages,
                                   "events", (json_int_t)n.events, "consent_events",
                                   (json_int_t)n.consent_events, "deliveries",
                                   (json_int_t)n.deliveries));
    return SG_HTTP_DONE;
}
