/* The simulator's outgoing HTTP: status callbacks for accepted messages (A.7) and
 * incoming-message webhooks on demand (A.8). One thread drives a libcurl multi
 * handle: a min-heap of jobs by due time (bounded), at most
 * SG_SIM_SENDER_ACTIVE_MAX POSTs at once, SG_SIM_HTTP_TIMEOUT_MS each, no retries.
 * A message's callbacks are sent one after another (the next one is due at its
 * planned time, but never before the previous POST finished), so the order a
 * receiver sees is the planned order. Every status-callback attempt is recorded
 * for GET /sim/callbacks. */
#ifndef SG_SIM_SENDER_H
#define SG_SIM_SENDER_H

#include "sim/twilio_sim.h"
#include "sim/webhook.h"

#include <jansson.h>
#include <stdbool.h>

#define SG_SIM_SENDER_JOBS_MAX    65536  /* messages with callbacks pending + inbound POSTs */
#define SG_SIM_SENDER_ACTIVE_MAX  32     /* POSTs in flight */
#define SG_SIM_SENDER_RECORDS_MAX 100000 /* callback attempts kept for /sim/callbacks */

typedef enum sg_sim_outcome {
    SG_SIM_OUTCOME_DELIVERED = 0, /* sent, then delivered */
    SG_SIM_OUTCOME_UNDELIVERED,   /* sent, then undelivered 30003 */
    SG_SIM_OUTCOME_FAILED,        /* failed 30008, no sent */
} sg_sim_outcome;

typedef struct sg_sim_sender_options {
    const char *auth_token;      /* the account's: signs every callback (copied) */
    unsigned sent_delay_ms;      /* accept -> sent (or failed) */
    unsigned delivered_delay_ms; /* sent -> delivered / undelivered */
    bool duplicate;              /* every callback twice */
    bool reorder;                /* the final status before sent */
} sg_sim_sender_options;

typedef struct sg_sim_sender sg_sim_sender;

/* Called once per accepted inbound POST, from the sender's thread, with the
 * outcome; at stop with http_status 0 and error "the simulator is stopping". */
typedef void (*sg_sim_post_done)(void *ctx, const sg_sim_result *r);

sg_sim_sender *sg_sim_sender_new(const sg_sim_sender_options *o, sg_error *e);

/* Plan m's status callbacks (to m->status_callback, which must be set) for
 * outcome, the first one due delay_ms + sent_delay_ms from now. Takes its own
 * reference on m. False when the sender is stopping or full (a full queue is
 * recorded as an attempt with an error). */
bool sg_sim_sender_schedule(sg_sim_sender *s, sg_sim_message *m, sg_sim_outcome outcome,
                            unsigned delay_ms);

/* POST body (taken over, freed by the sender in every case) to url now, with
 * X-Twilio-Signature: signature unless NULL. When the job is accepted,
 * on_queued(ctx) runs first, under the sender's lock (e.g. to suspend the HTTP
 * connection that waits for the answer), and done(ctx, result) later exactly
 * once. False (neither callback called) when the sender is stopping or full. */
bool sg_sim_sender_post(sg_sim_sender *s, const char *url, char *body, const char *signature,
                        void (*on_queued)(void *ctx), sg_sim_post_done done, void *ctx);

/* {"callbacks":[{"message_sid","status","error_code","url","http_status","error",
 * "at"}...],"total":N,"pending":P,"dropped":D}, oldest first; only message_sid's
 * when it is not NULL. NULL on out of memory. */
json_t *sg_sim_sender_records(sg_sim_sender *s, const char *message_sid);
/* Forget the recorded attempts; total and dropped restart at 0. */
void sg_sim_sender_clear(sg_sim_sender *s);

/* Stop the thread: POSTs in flight are abandoned, pending callbacks dropped,
 * waiting inbound POSTs get their done(). Records stay readable. Idempotent. */
void sg_sim_sender_stop(sg_sim_sender *s);
void sg_sim_sender_free(sg_sim_sender *s);

#endif
