/* The circuit breakers of this node: one core/breaker.h state machine per
 * provider (by id), behind one mutex, fed by the dispatcher with the send class of
 * every answer and asked before every send (docs/routing.md, "Circuit breakers").
 * State lives in memory, per node: a restart starts every breaker closed, and
 * nodes sharing a database each keep their own. Every transition is logged
 * (event=breaker_open ...), counted for /metrics and written to the store as a
 * provider event.
 *
 * A NULL sg_breakers is valid everywhere and means "no breakers": every provider
 * is usable. */
#ifndef SG_DISPATCH_BREAKERS_H
#define SG_DISPATCH_BREAKERS_H

#include "core/breaker.h"
#include "core/errcodes.h"
#include "store/store.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sg_breakers sg_breakers;

/* A half-open breaker with every probe out: a send refused looks again this much
 * later (ms). */
#define SG_BREAKER_PROBE_WAIT_MS 250

/* cfg must pass sg_breaker_config_valid. store (may be NULL: no events written)
 * must outlive the breakers. */
sg_err sg_breakers_new(const sg_breaker_config *cfg, sg_store *store, sg_breakers **out,
                       sg_error *e);
void sg_breakers_destroy(sg_breakers *b);
const sg_breaker_config *sg_breakers_config(const sg_breakers *b); /* NULL for NULL */

/* Whether provider_id may be sent to at now (ms): its breaker is closed, open with
 * its cool-down over, or half-open with a probe slot free. Changes nothing.
 * Thread-safe. This is the predicate route choice takes. */
bool sg_breakers_usable(sg_breakers *b, const char *provider_id, int64_t now);
/* The same at the current time, in the shape route choice takes as its predicate
 * (bool (*usable)(const char *provider_id, void *ctx)): ctx is the sg_breakers. */
bool sg_breakers_usable_now(const char *provider_id, void *ctx);

/* Admit one send to provider_id (name: for logs and /metrics) at now: its ticket
 * (never 0), or 0 when the send may not go; then *retry_at says when to look
 * again (the end of the cool-down, or SG_BREAKER_PROBE_WAIT_MS). An open breaker
 * whose cool-down is over goes half-open here. Every
 * admitted send ends with sg_breakers_record or sg_breakers_cancel. */
uint32_t sg_breakers_admit(sg_breakers *b, const char *provider_id, const char *name, int64_t now,
                           int64_t *retry_at);
/* An admitted send did not go (its probe slot is given back). */
void sg_breakers_cancel(sg_breakers *b, const char *provider_id, uint32_t ticket);
/* The answer of an admitted send: its send class (providers/send_class.h).
 * accepted and recipient are successes (the provider answered as it should),
 * provider and retry failures (a retry-class answer is a timeout, a lost
 * connection, a 429: the provider is not taking messages), none and unset say
 * nothing. */
void sg_breakers_record(sg_breakers *b, const char *provider_id, const char *name, int64_t now,
                        uint32_t ticket, sg_sendclass cls);

/* What GET /v1/providers/{id}/health shows. */
typedef struct sg_breaker_health {
    sg_breaker_state state;
    int64_t since;         /* when the state began; the node's start when never used */
    int64_t next_probe_at; /* sg_breaker_next_probe (0: none pending) */
    unsigned consecutive_failures;
    uint64_t window_attempts, window_failures; /* in the rate's window */
    uint64_t failures, successes;              /* since the node started */
    uint64_t transitions[SG_BREAKER__STATES];
    unsigned probes_out;
    sg_breaker_reason reason; /* why it last opened */
} sg_breaker_health;

/* provider_id's breaker at now; a provider never sent to is closed since the
 * breakers were made. */
void sg_breakers_health(sg_breakers *b, const char *provider_id, int64_t now,
                        sg_breaker_health *out);

/* Append the Prometheus text of every breaker seen so far: a state gauge
 * (smsgate_provider_breaker_state{provider,state} 1 for the current state, 0 for
 * the others) and smsgate_provider_breaker_transitions_total{provider,to}. */
void sg_breakers_render_metrics(sg_breakers *b, sg_buf *out);

#endif
