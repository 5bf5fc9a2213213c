/* `smsgate simulate clickatell`: a stand-in for Clickatell on loopback
 * (providers.md B.1, B.2). It speaks both APIs smsgate drives: the legacy HTTP API
 * (GET|POST /http/sendmsg with user, password and api_id; "ID: ..." / "ERR: NNN,
 * ..." plain-text answers) and the Platform API (POST /messages with the raw API
 * key in Authorization, GET /messages/http/send?apiKey=...; JSON). It sends
 * unsigned delivery callbacks to the portal-configured callback URL, sends replies
 * on demand, injects failures, and keeps what it accepted for inspection under
 * /sim/. docs/internals/simulator.md is the user's map. */
#ifndef SG_SIM_CLICKATELL_SIM_H
#define SG_SIM_CLICKATELL_SIM_H

#include "providers/clickatell/sim_wire.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SG_CK_SIM_DEFAULT_LISTEN             "127.0.0.1:18092"
#define SG_CK_SIM_DEFAULT_USERNAME           "simulator"
#define SG_CK_SIM_DEFAULT_PASSWORD           "simulator-password"
#define SG_CK_SIM_DEFAULT_API_ID             "3512345"
#define SG_CK_SIM_DEFAULT_API_KEY            "simulator-api-key"
#define SG_CK_SIM_DEFAULT_INTEGRATION        "smsgate-simulator"
#define SG_CK_SIM_MAX_RECORDS                100000 /* accepted messages kept for /sim/messages */
#define SG_CK_SIM_DEFAULT_SENT_DELAY_MS      100    /* accept -> 003 */
#define SG_CK_SIM_DEFAULT_DELIVERED_DELAY_MS 300    /* 003 -> 004 / 007 */

/* Everything is borrowed for the sg_ck_sim_new call only (it copies). */
typedef struct sg_ck_sim_options {
    const char *username; /* legacy credentials: user, password, api_id */
    const char *password;
    const char *api_id;
    const char *api_key;          /* the Platform integration's API key */
    const char *integration_name; /* in platform callbacks and replies */
    unsigned latency_ms;          /* delay before each answer on the API paths */
    double rate_5xx;              /* probability of an injected 500 or 503 */
    uint64_t seed;                /* failure injection is a function of seed and request order */

    /* The portal's settings (also POST /sim/config). NULL: not set. The platform
     * URLs fall back to the legacy ones. */
    const char *callback_url;
    const char *reply_url;
    const char *platform_callback_url;
    const char *platform_reply_url;
    sg_ck_method callback_method; /* legacy callbacks and replies */

    bool no_callbacks;
    unsigned sent_delay_ms;                 /* accept (after latency_ms) -> 003 */
    unsigned delivered_delay_ms;            /* 003 -> 004 / 007 */
    const char *const *undelivered_numbers; /* to numbers (digits) that end 007 */
    size_t n_undelivered;
    bool duplicate_callbacks; /* every callback twice */
    bool reorder_callbacks;   /* the final status before 003 */
} sg_ck_sim_options;

typedef struct sg_ck_sim sg_ck_sim;

/* Start serving on addr (a loopback address; port 0 picks a free port) with
 * libmicrohttpd's own threads plus the callback sender's (call curl_global_init
 * first). Destroy with sg_ck_sim_destroy. */
sg_err sg_ck_sim_new(const sg_ck_sim_options *o, const struct sockaddr *addr, sg_ck_sim **out,
                     sg_error *e);
uint16_t sg_ck_sim_port(const sg_ck_sim *s);
/* Drop pending callbacks, answer delayed and suspended requests, stop, free. */
void sg_ck_sim_destroy(sg_ck_sim *s);

/* The CLI: argv[0] is "clickatell". Serves until SIGINT/SIGTERM; returns the exit
 * code (0 after a clean stop, 1 on failure, 2 on a usage error). */
int sg_ck_sim_main(int argc, char **argv);

/* `smsgate simulate inject --kind clickatell ...`: one legacy MO or platform reply
 * sent straight to a URL (argv as given to inject, --kind included). 0 on a 2xx
 * answer, 1 otherwise, 2 on a usage error. (sim/clickatell_inject.c) */
int sg_ck_inject_main(int argc, char **argv);

#endif
