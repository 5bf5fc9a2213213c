/* Requests that wait for a message's outcome: POST /v1/providers/{id}/test with
 * "wait" holds its request (suspended with sg_http_defer, no thread held) until
 * the test message is delivered or fails, or the wait runs out. One thread polls
 * the store for every waiting message a few times a second and resumes each
 * request with its answer. */
#ifndef SG_API_SEND_WAIT_H
#define SG_API_SEND_WAIT_H

#include "api/app.h"
#include "http/server.h"

#include <stdint.h>

typedef struct sg_send_waits sg_send_waits;

#define SG_SEND_WAIT_MAX_S 60

/* Start the polling thread over app's store and registry (both must outlive it).
 * *out is owned by the caller: stop it with sg_send_waits_stop. */
sg_err sg_send_waits_start(sg_app *app, sg_send_waits **out, sg_error *e);
/* Stop the thread and answer every request still waiting with the state its
 * message is in now (outcome "sent" or "pending"), resuming them; requests held
 * from then on are answered at once. Call it before sg_http_stop, which waits for
 * every suspended request. Idempotent; NULL is a no-op. */
void sg_send_waits_stop(sg_send_waits *w);
/* Stop (if not yet) and free w, once no request can reach it any more (after
 * sg_http_stop). NULL is a no-op. */
void sg_send_waits_destroy(sg_send_waits *w);

/* The sg_api_sent_fn for sg_api_send_one_then: hold req (already deferred) until
 * the committed message message_id reaches a final status or arg seconds pass
 * (arg is the wait in seconds as an intptr_t, 1..SG_SEND_WAIT_MAX_S), then answer
 * 200 {"message", "outcome", "error_code"?, "error_message"?} and resume it. When
 * the waiter is stopping it answers at once with what the store holds. */
void sg_send_wait_hold(sg_http_req *req, sg_app *app, const char *message_id, void *arg);

/* The outcome of a message in status s: "delivered", "failed" (failed,
 * undelivered, canceled), or, once the wait is over (timed_out), "sent" or
 * "pending" (not yet handed to the provider). NULL while it is worth waiting. */
const char *sg_send_wait_outcome(sg_status s, bool timed_out);

#endif
