/* The simulators' outgoing HTTP: delivery callbacks for accepted messages (Twilio
 * A.7, Clickatell B.1/B.2) and incoming-message webhooks on demand (A.8, B.1/B.2
 * replies). One thread drives a libcurl multi handle: a min-heap of jobs by due
 * time (bounded), at most SG_SIM_SENDER_ACTIVE_MAX requests at once,
 * SG_SIM_HTTP_TIMEOUT_MS each, no retries. A message's callbacks are sent one
 * after another (the next one is due at its planned time, but never before the
 * previous request finished), so the order a receiver sees is the planned order.
 * Every callback attempt is recorded for GET /sim/callbacks.
 *
 * A plan is provider-neutral: the simulator gives the steps (a status, a code, a
 * time offset) and a build hook that turns one step into a request; Twilio's
 * plans (sg_sim_sender_schedule) are built here from an outcome. */
#ifndef SG_SIM_SENDER_H
#define SG_SIM_SENDER_H

#include "providers/twilio/sim.h"
#include "sim/webhook.h"

#include <jansson.h>
#include <stdbool.h>

#define SG_SIM_SENDER_JOBS_MAX    65536  /* messages with callbacks pending + inbound requests */
#define SG_SIM_SENDER_ACTIVE_MAX  32     /* requests in flight */
#define SG_SIM_SENDER_RECORDS_MAX 100000 /* callback attempts kept for /sim/callbacks */
#define SG_SIM_PLAN_STEPS_MAX     4
#define SG_SIM_ID_MAX             64 /* message ids in plans and records, NUL included */

typedef enum sg_sim_outcome {
    SG_SIM_OUTCOME_DELIVERED = 0, /* sent, then delivered */
    SG_SIM_OUTCOME_UNDELIVERED,   /* sent, then undelivered 30003 */
    SG_SIM_OUTCOME_FAILED,        /* failed 30008, no sent */
} sg_sim_outcome;

typedef struct sg_sim_sender_options {
    const char *auth_token;      /* Twilio: signs every callback (copied); "" for none */
    unsigned sent_delay_ms;      /* Twilio plans: accept -> sent (or failed) */
    unsigned delivered_delay_ms; /* Twilio plans: sent -> delivered / undelivered */
    bool duplicate;              /* Twilio plans: every callback twice */
    bool reorder;                /* Twilio plans: the final status before sent */
    /* Names of two members of each /sim/callbacks record; NULL: "message_sid" and
     * "error_code" (Twilio's). */
    const char *id_key;
    const char *code_key;
} sg_sim_sender_options;

typedef struct sg_sim_sender sg_sim_sender;

/* One step of a plan. */
typedef struct sg_sim_step {
    const char *status; /* static, e.g. "sent", "004", "RECEIVED_BY_RECIPIENT" */
    int code;           /* recorded under code_key; 0 is shown as null */
    unsigned offset_ms; /* from the plan's base time (now + delay_ms) */
} sg_sim_step;

/* How the sender treats the item of a plan. The hooks must outlive the sender's
 * use of them (static, or a member of the simulator). */
typedef struct sg_sim_plan_hooks {
    void (*ref)(void *item);
    void (*unref)(void *item);
    /* Prepare post (zeroed) for step st of item with sg_sim_request_init. Called on
     * the sender's thread; false (out of memory) records the attempt as failed. */
    bool (*build)(void *ctx, void *item, const sg_sim_step *st, sg_sim_post *post);
    void *ctx;
} sg_sim_plan_hooks;

typedef struct sg_sim_plan {
    const char *id;     /* copied; shown under id_key and matched by the records filter */
    const char *api;    /* static label shown as "api" in records, or NULL (not shown) */
    const char *method; /* static, shown as "method" in records, or NULL (not shown) */
    const char *url;    /* where the requests go (shown in records); must live as long
                           as item */
    void *item;         /* the sender takes its own reference */
    sg_sim_step steps[SG_SIM_PLAN_STEPS_MAX];
    unsigned n_steps; /* 1..SG_SIM_PLAN_STEPS_MAX */
} sg_sim_plan;

/* Called once per accepted inbound request, from the sender's thread, with the
 * outcome; at stop with http_status 0 and error "the simulator is stopping". */
typedef void (*sg_sim_post_done)(void *ctx, const sg_sim_result *r);

sg_sim_sender *sg_sim_sender_new(const sg_sim_sender_options *o, sg_error *e);

/* Plan p's callbacks, the base time delay_ms from now. False when the sender is
 * stopping or full (a full queue is recorded as an attempt with an error). */
bool sg_sim_sender_plan(sg_sim_sender *s, const sg_sim_plan *p, const sg_sim_plan_hooks *hooks,
                        unsigned delay_ms);

/* Plan m's Twilio status callbacks (to m->status_callback, which must be set) for
 * outcome, the first one due delay_ms + sent_delay_ms from now. Takes its own
 * reference on m. False when the sender is stopping or full (a full queue is
 * recorded as an attempt with an error). */
bool sg_sim_sender_schedule(sg_sim_sender *s, sg_sim_message *m, sg_sim_outcome outcome,
                            unsigned delay_ms);

/* Send body (taken over, freed by the sender in every case; NULL for a GET) to url
 * now, as h says (copied). When the job is accepted, on_queued(ctx) runs first,
 * under the sender's lock (e.g. to suspend the HTTP connection that waits for the
 * answer), and done(ctx, result) later exactly once. False (neither callback
 * called) when the sender is stopping or full. */
bool sg_sim_sender_send(sg_sim_sender *s, const sg_sim_http *h, const char *url, char *body,
                        void (*on_queued)(void *ctx), sg_sim_post_done done, void *ctx);

/* Twilio's inbound webhook: sg_sim_sender_send of a form POST with
 * X-Twilio-Signature: signature unless NULL, User-Agent SG_SIM_USER_AGENT. */
bool sg_sim_sender_post(sg_sim_sender *s, const char *url, char *body, const char *signature,
                        void (*on_queued)(void *ctx), sg_sim_post_done done, void *ctx);

/* {"callbacks":[{<id_key>,["api",]"status",<code_key>,"url",["method",]
 * "http_status","error","at"}...],"total":N,"pending":P,"dropped":D}, oldest
 * first; only id's when it is not NULL. NULL on out of memory. */
json_t *sg_sim_sender_records(sg_sim_sender *s, const char *id);
/* Forget the recorded attempts; total and dropped restart at 0. */
void sg_sim_sender_clear(sg_sim_sender *s);

/* Stop the thread: requests in flight are abandoned, pending callbacks dropped,
 * waiting inbound requests get their done(). Records stay readable. Idempotent. */
void sg_sim_sender_stop(sg_sim_sender *s);
void sg_sim_sender_free(sg_sim_sender *s);

#endif
