/* Everything the API handlers, the callbacks and the CLI share: the store, the
 * providers in memory, the master key and the settings that shape answers. */
#ifndef SG_API_APP_H
#define SG_API_APP_H

#include "dispatch/registry.h"
#include "store/store.h"
#include "util/crypto.h"

#include <stddef.h>

struct sg_dispatcher;
struct sg_http_server;
struct sg_webhooks;
struct sg_broadcaster;
struct sg_journeys;
struct sg_outbound_policy;
struct sg_send_limits;
struct sg_breakers;
struct sg_keyword_extra;

typedef struct sg_app {
    sg_store *store;
    sg_registry *registry;
    uint8_t master_key[SG_MASTER_KEY_LEN];
    char public_url[256];             /* base of callback URLs, no trailing '/' */
    char default_region[8];           /* "GB", or "" */
    /* Replies to consent keywords; "" = the built-in text (core/keywords.c),
     * "-" = send no reply. */
    char reply_opt_out[320];
    char reply_opt_in[320];
    char reply_help[320];
    struct sg_dispatcher *dispatcher; /* NULL outside `serve` */
    struct sg_http_server *http;      /* NULL outside `serve` */
    struct sg_webhooks *webhooks;     /* app-webhook worker (sg_webhooks_wake); NULL outside
                                         `serve` */
    struct sg_broadcaster *broadcaster; /* the broadcast scheduler; NULL outside `serve` */
    struct sg_journeys *journeys;       /* the journey engine; NULL outside `serve` */
    struct sg_reply_limit *reply_limit; /* consent confirmations per number (core/reply_limit.h) */
    /* Where URLs given by users may lead (--outbound-allow); NULL: the strict
     * default (core/outbound_policy.h). */
    const struct sg_outbound_policy *outbound;
    struct sg_send_waits *send_waits;   /* provider tests waiting for an outcome (send_wait.h);
                                           NULL outside `serve` */
    struct sg_send_limits *limits;      /* toll-fraud limits of API sends; NULL outside `serve` */
    /* Console sessions (api/session.h): the password workers (NULL outside
     * `serve`), the idle and absolute lifetimes (ms). */
    struct sg_pwpool *pwpool;
    int64_t session_idle_ms;
    int64_t session_max_ms;
    struct sg_breakers *breakers; /* circuit breakers (dispatch/breakers.h); NULL outside
                                     `serve` */
    /* Opt-out, opt-in and help words added to the legal defaults (serve's
     * --opt-out-keywords ...); NULL: the defaults only. */
    const struct sg_keyword_extra *keywords_extra;
    /* This serve as a node (dispatch/nodes.h): its id ("" outside `serve`), and
     * the heartbeat age past which a node counts as dead (0: the default). */
    char node_id[SG_NODE_ID_MAX];
    int64_t node_timeout_ms;
} sg_app;

/* Open the store at db (migrating when migrate is true), load the master key
 * (key_file when not NULL or "", else SMSGATE_MASTER_KEY, else for SQLite the
 * file db + ".key"; PostgreSQL needs one of the first two), check it against
 * the database's on PostgreSQL (sg_store_master_key_check: a different key is
 * an error before anything is sealed with it), and load the providers. */
sg_err sg_app_open(sg_app *app, const char *db, const char *key_file, bool migrate, sg_error *e);
void sg_app_close(sg_app *app);
/* The nodes sharing the store, as /metrics lines labelled by node, into b
 * (api/nodes.c); nothing when they cannot be read. */
struct sg_buf;
void sg_api_nodes_metrics(sg_app *app, struct sg_buf *b);
/* A node as GET /v1/nodes shows it (alive judged at now with timeout_ms; self:
 * the answering node's id). */
json_t *sg_api_node_json(const sg_node *n, int64_t now, int64_t timeout_ms, const char *self);

#endif
