/* Erasure (DELETE /v1/contacts/{id}?erase=true) and the audit log that records it
 * (GET /v1/audit). */
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
    const char *actor = caller ? caller->key_id : "unknown";
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

sg_http_result sg_api_audit_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    size_t limit;
    if (!sg_api_limit(req, 50, 1000, &limit))
        return SG_HTTP_DONE;
    sg_audit *rows;
    size_t n;
    sg_err err = sg_store_audit_list(app->store, limit, &rows, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot read the audit log");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *detail = rows[i].detail ? json_loads(rows[i].detail, 0, NULL) : NULL;
        json_array_append_new(data, json_pack("{s:I, s:o, s:s, s:s, s:s, s:o}", "id",
                                              (json_int_t)rows[i].id, "at",
                                              sg_api_time_json(rows[i].at), "actor",
                                              rows[i].actor, "action", rows[i].action, "subject",
                                              rows[i].subject, "detail",
                                              detail ? detail : json_null()));
    }
    sg_audits_free(rows, n);
    sg_http_respond_json(req, 200, json_pack("{s:o, s:n}", "data", data, "next_cursor"));
    return SG_HTTP_DONE;
}
