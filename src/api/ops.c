/* /healthz and /metrics. */
#include "api/app.h"
#include "api/handlers.h"
#include "dispatch/breakers.h"
#include "dispatch/dispatcher.h"
#include "http/problem.h"
#include "util/metrics.h"

sg_http_result sg_api_healthz(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_err err = sg_store_ping(app->store);
    if (err) {
        sg_http_problem(req, 503, "store_error", NULL, "the store does not answer: %s",
                        sg_strerror(err));
        return SG_HTTP_DONE;
    }
    char why[256];
    if (!sg_store_writable(app->store, why, sizeof why)) {
        sg_http_problem(req, 503, "store_not_writable", NULL, "%s", why);
        return SG_HTTP_DONE;
    }
    sg_http_respond_json(req, 200, json_pack("{s:s}", "status", "ok"));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_metrics(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_metrics_gauges g = {0};
    sg_queue_stats qs;
    if (sg_store_queue_stats(app->store, &qs) == SG_OK) {
        g.scheduled = qs.scheduled;
        g.queued = qs.queued;
        g.sending = qs.sending;
    }
    g.in_flight_sends = sg_dispatcher_in_flight(app->dispatcher);
    g.in_flight_http = sg_http_in_flight(app->http);
    sg_buf b;
    sg_buf_init(&b, 1 << 20);
    sg_metrics_render(&b, &g);
    sg_breakers_render_metrics(app->breakers, &b);
    sg_api_nodes_metrics(app, &b);
    sg_http_respond(req, 200, "text/plain; version=0.0.4", sg_buf_cstr(&b), b.len);
    sg_buf_free(&b);
    return SG_HTTP_DONE;
}
