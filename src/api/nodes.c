/* GET /v1/nodes (every node sharing the database: heartbeat, claims held,
 * messages sent, alive or dead) and the per-node lines of /metrics
 * (docs/postgresql.md, "Several nodes"). */
#include "api/app.h"
#include "api/common.h"
#include "api/handlers.h"
#include "dispatch/nodes.h"
#include "util/time.h"

#include <stdlib.h>
#include <string.h>

/* The bound this server judges nodes by: its --node-timeout. */
static int64_t timeout_of(const sg_app *app)
{
    return app->node_timeout_ms > 0 ? app->node_timeout_ms : SG_NODE_TIMEOUT_MS_DEF;
}

json_t *sg_api_node_json(const sg_node *n, int64_t now, int64_t timeout_ms, const char *self)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:b, s:b, s:I, s:I}", "id", n->id,
                          "start_id", n->start_id, "listen", n->listen, "started_at",
                          sg_api_time_json(n->started_at), "heartbeat_at",
                          sg_api_time_json(n->heartbeat_at), "heartbeat_age_ms",
                          (json_int_t)(now - n->heartbeat_at), "alive",
                          sg_node_alive(n, now, timeout_ms), "this_node",
                          self && strcmp(self, n->id) == 0, "claims", (json_int_t)n->claims,
                          "sent", (json_int_t)n->sent);
    if (j)
        json_object_set_new(j, "stopped_at",
                            n->stopped_at ? sg_api_time_json(n->stopped_at) : json_null());
    return j;
}

sg_http_result sg_api_nodes_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_node *nodes = NULL;
    size_t n = 0;
    sg_error e = {0};
    sg_err err = sg_store_nodes_list(app->store, &nodes, &n, &e);
    if (err) {
        sg_api_store_error(req, err, e.message);
        return SG_HTTP_DONE;
    }
    int64_t now = sg_time_now_ms(), timeout = timeout_of(app);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, sg_api_node_json(&nodes[i], now, timeout, app->node_id));
    free(nodes);
    sg_http_respond_json(req, 200,
                         json_pack("{s:o, s:s, s:I}", "nodes", list, "this_node", app->node_id,
                                   "node_timeout_ms", (json_int_t)timeout));
    return SG_HTTP_DONE;
}

void sg_api_nodes_metrics(sg_app *app, sg_buf *b)
{
    sg_node *nodes = NULL;
    size_t n = 0;
    sg_error e = {0};
    if (sg_store_nodes_list(app->store, &nodes, &n, &e) != SG_OK)
        return;
    int64_t now = sg_time_now_ms(), timeout = timeout_of(app);
    static const struct {
        const char *name, *type, *help;
    } fams[] = {
        {"smsgate_node_up", "gauge", "Whether the node's heartbeat is recent (1) or it is dead "
                                     "or stopped (0)."},
        {"smsgate_node_heartbeat_age_seconds", "gauge", "Time since the node's last heartbeat."},
        {"smsgate_node_claims", "gauge", "Messages in sending held by the node."},
        {"smsgate_node_sent", "gauge", "Messages the node's providers accepted since it started."},
    };
    for (size_t f = 0; f < sizeof fams / sizeof fams[0]; f++) {
        sg_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fams[f].name, fams[f].help,
                      fams[f].name, fams[f].type);
        for (size_t i = 0; i < n; i++) {
            const sg_node *x = &nodes[i];
            double v = f == 0   ? (sg_node_alive(x, now, timeout) ? 1 : 0)
                       : f == 1 ? (double)(now - x->heartbeat_at) / 1000.0
                       : f == 2 ? (double)x->claims
                                : (double)x->sent;
            sg_buf_printf(b, "%s{node=\"%s\"} %g\n", fams[f].name, x->id, v);
        }
    }
    if (app->node_id[0])
        sg_buf_printf(b,
                      "# HELP smsgate_node_info The node answering this scrape.\n"
                      "# TYPE smsgate_node_info gauge\nsmsgate_node_info{node=\"%s\"} 1\n",
                      app->node_id);
    free(nodes);
}
