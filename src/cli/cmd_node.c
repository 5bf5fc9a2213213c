/* smsgate node list: the nodes sharing the database (serve registers one at
 * its start), as GET /v1/nodes shows them: heartbeat age, claims held,
 * messages sent, alive or dead. */
#include "api/app.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "dispatch/nodes.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct node_settings {
    sg_base_settings base;
    unsigned timeout_s;
    bool json;
} node_settings;

#define S node_settings
static const sg_opt list_opts[] = {
    SG_BASE_OPTS(S),
    {"node-timeout", "SMSGATE_NODE_TIMEOUT", "10", SG_OPT_UINT, offsetof(S, timeout_s), 0, "SECS",
     "a node whose heartbeat is older counts as dead (as serve's --node-timeout)"},
    {"json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL, "print JSON, as GET /v1/nodes"},
    SG_OPT_END,
};
#undef S

static const sg_cmd_spec list_spec = {
    "smsgate node list [--node-timeout SECS] [--json] [options]",
    "List the nodes (each serve on the database) by id: alive or dead (a heartbeat\n"
    "older than --node-timeout, or stopped), the age of its last heartbeat, the\n"
    "messages it holds in sending (claims) and those its providers accepted since\n"
    "it started.",
    list_opts, 0, 0};

static void print_table(const sg_node *v, size_t n, int64_t now, int64_t timeout_ms)
{
    printf("%-32s %-7s %10s %8s %10s  %s\n", "NODE", "STATE", "HEARTBEAT", "CLAIMS", "SENT",
           "STARTED");
    for (size_t i = 0; i < n; i++) {
        char started[SG_TIME_STR_MAX], age[24];
        const char *state = v[i].stopped_at      ? "stopped"
                            : sg_node_alive(&v[i], now, timeout_ms) ? "alive"
                                                                     : "dead";
        snprintf(age, sizeof age, "%.1fs ago", (double)(now - v[i].heartbeat_at) / 1000.0);
        printf("%-32s %-7s %10s %8lld %10lld  %s\n", v[i].id, state, age,
               (long long)v[i].claims, (long long)v[i].sent, sg_cli_time(v[i].started_at, started));
    }
    if (n == 0)
        printf("(no node has registered: nodes appear when serve starts)\n");
}

static int node_list(int argc, char **argv)
{
    node_settings st;
    memset(&st, 0, sizeof st);
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&list_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    if (st.timeout_s == 0)
        return sg_cli_usage_error("node", "--node-timeout must be positive");
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    sg_node *v = NULL;
    size_t n = 0;
    sg_error e = {0};
    int64_t now = sg_time_now_ms(), timeout = (int64_t)st.timeout_s * 1000;
    if (sg_store_nodes_list(app.store, &v, &n, &e) != SG_OK) {
        fprintf(stderr, "smsgate: cannot read the nodes: %s\n", e.message);
        rc = SG_EXIT_FAIL;
    } else if (st.json) {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, sg_api_node_json(&v[i], now, timeout, NULL));
        sg_cli_print_json(json_pack("{s:o, s:I}", "nodes", list, "node_timeout_ms",
                                    (json_int_t)timeout));
    } else {
        print_table(v, n, now, timeout);
    }
    free(v);
    sg_app_close(&app);
    return rc;
}

static const sg_command node_verbs[] = {
    {"list", "list the nodes: alive or dead, heartbeat, claims, sent", node_list},
    {NULL, NULL, NULL},
};

int sg_cmd_node(int argc, char **argv)
{
    return sg_cli_verbs("smsgate node list [options]", node_verbs, argc, argv);
}
