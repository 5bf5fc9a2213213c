/* `smsgate simulate twilio`: a stand-in for api.twilio.com on loopback
 * (providers.md A.1-A.4, A.12). It speaks the real wire protocol (Basic auth, the
 * form-encoded create-message request, the Message resource and Twilio's error
 * JSON), injects failures on demand, and keeps what it accepted for inspection
 * under /sim/. docs/internals/simulator.md is the user's map. */
#ifndef SG_SIM_TWILIO_SIM_H
#define SG_SIM_TWILIO_SIM_H

#include "util/err.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SG_TWILIO_SIM_DEFAULT_LISTEN      "127.0.0.1:18091"
#define SG_TWILIO_SIM_DEFAULT_ACCOUNT_SID "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SG_TWILIO_SIM_DEFAULT_AUTH_TOKEN  "simulator-auth-token"
#define SG_TWILIO_SIM_MAX_RECORDS         100000 /* accepted messages kept for /sim/messages */

/* Everything is borrowed for the sg_twilio_sim_new call only (it copies). */
typedef struct sg_twilio_sim_options {
    const char *account_sid;    /* AC + 32 hex: the only account that exists */
    const char *auth_token;     /* its auth token */
    const char *api_key_sid;    /* SK + 32 hex, or NULL: then no API key is accepted */
    const char *api_key_secret; /* with api_key_sid */
    unsigned latency_ms;        /* delay before each answer on the Twilio API paths */
    unsigned send_latency_ms;   /* more delay before answers to sends (POST) only: a
                                   client that gives up first has lost the answer of a
                                   message the simulator accepted; lookups are not delayed */
    double rate_429;            /* probability of an injected 429 / 20429 */
    double rate_5xx;            /* probability of an injected 500 or 503; the sum <= 1 */
    uint64_t seed;              /* failure injection is a function of seed and request order */

    /* Status callbacks (providers.md A.7) to a message's StatusCallback URL. */
    bool no_callbacks;                      /* send none */
    unsigned sent_delay_ms;                 /* accept (after latency_ms) -> "sent" */
    unsigned delivered_delay_ms;            /* "sent" -> "delivered" / "undelivered" */
    const char *const *undelivered_numbers; /* To numbers that end undelivered 30003 */
    size_t n_undelivered;
    const char *const *failed_numbers; /* To numbers that end failed 30008 */
    size_t n_failed;
    double undelivered_rate;  /* probability of undelivered 30003 for the others */
    /* The account's own numbers (--numbers): a From outside them is refused with
     * 21606, as Twilio refuses a number the account does not own. None: any From
     * is taken. */
    const char *const *numbers;
    size_t n_numbers;
    bool duplicate_callbacks; /* every callback twice */
    bool reorder_callbacks;   /* the final status before "sent" */
} sg_twilio_sim_options;

#define SG_TWILIO_SIM_DEFAULT_SENT_DELAY_MS      100
#define SG_TWILIO_SIM_DEFAULT_DELIVERED_DELAY_MS 300

/* One accepted message. Immutable once published, reference-counted: the record
 * store holds one reference until the message is evicted or cleared, and whoever
 * else keeps it (the status-callback scheduler) takes its own with
 * sg_sim_message_ref and drops it with sg_sim_message_unref. Strings point into the
 * same allocation; the optional ones are NULL when the request did not carry them. */
typedef struct sg_sim_message {
    atomic_int refs;
    char sid[35];            /* "SM" + 32 hex */
    char account_sid[35];    /* the account in the path */
    char credential_sid[35]; /* who authenticated: the account SID or an API key SID */
    const char *to;          /* E.164 */
    const char *from;        /* NULL when a messaging service picks the sender */
    const char *messaging_service_sid;
    const char *body;
    const char *status_callback;
    const char *status; /* static: "queued" or "accepted" */
    unsigned segments;  /* as in num_segments */
    int64_t created_ms; /* wall clock */
} sg_sim_message;

void sg_sim_message_ref(sg_sim_message *m);
void sg_sim_message_unref(sg_sim_message *m);

typedef struct sg_twilio_sim sg_twilio_sim;

/* Start serving on addr (a loopback IPv4 or IPv6 address; port 0 picks a free
 * port) with libmicrohttpd's own threads, plus the callback sender's thread
 * (sim/sender.h; call curl_global_init first). Returns SG_OK and *out, or an
 * error with e filled in (e.g. the port is taken). Destroy with
 * sg_twilio_sim_destroy. */
sg_err sg_twilio_sim_new(const sg_twilio_sim_options *o, const struct sockaddr *addr,
                         sg_twilio_sim **out, sg_error *e);
/* The port actually bound. */
uint16_t sg_twilio_sim_port(const sg_twilio_sim *s);
/* Drop pending callbacks, answer the delayed and suspended requests at once, stop
 * the server, free everything. */
void sg_twilio_sim_destroy(sg_twilio_sim *s);

/* The CLI: argv[0] is "twilio". Serves until SIGINT/SIGTERM; returns the exit
 * code (0 after a clean stop, 1 on failure, 2 on a usage error). */
int sg_twilio_sim_main(int argc, char **argv);

/* `smsgate simulate inject [--kind twilio]`: argv[0] is "inject". POSTs one signed
 * incoming-message webhook (A.8) and prints the answer; 0 on a 2xx answer, 1
 * otherwise, 2 on a usage error. No simulator needs to run. (sim_inject.c; the
 * kind's sim_inject) */
int sg_twilio_inject_main(int argc, char **argv);

#endif
