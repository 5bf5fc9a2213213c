/* The dispatcher: one thread that claims due messages from the store in batches
 * (with a lease), spends a token bucket per sender, sends through the provider
 * drivers over libcurl's multi interface (kept-alive connections, many requests
 * in flight), and records each outcome. See docs/internals/dispatch.md. */
#ifndef SG_DISPATCH_DISPATCHER_H
#define SG_DISPATCH_DISPATCHER_H

#include "core/backoff.h"
#include "dispatch/breakers.h"
#include "dispatch/registry.h"
#include "store/store.h"

typedef struct sg_dispatcher sg_dispatcher;

typedef struct sg_dispatch_config {
    unsigned max_in_flight;      /* provider requests at once */
    unsigned batch;              /* messages claimed per store round trip */
    int64_t lease_ms;            /* a claim expires after this (crash recovery) */
    unsigned connect_timeout_ms; /* per request */
    unsigned request_timeout_ms; /* per request, whole exchange */
    unsigned poll_ms;            /* look for due messages at least this often */
    sg_backoff backoff;          /* retries of retryable failures */
    const char *public_url;      /* base of callback URLs ("" = none) */
    /* The node's circuit breakers (may be NULL: none): a send goes only when its
     * provider's breaker admits it, and its answer's send class is recorded. */
    sg_breakers *breakers;
} sg_dispatch_config;

sg_err sg_dispatcher_start(const sg_dispatch_config *cfg, sg_store *store, sg_registry *reg,
                           sg_dispatcher **out, sg_error *e);
/* New messages are due now: look at once instead of at the next poll. Thread-safe,
 * cheap, NULL is ignored. */
void sg_dispatcher_wake(sg_dispatcher *d);
/* Stop claiming; wait up to timeout_ms for requests in flight; release the
 * messages claimed but not sent (back to queued), record what finished, free. */
void sg_dispatcher_stop(sg_dispatcher *d, int timeout_ms);
/* Provider requests in flight now. */
long sg_dispatcher_in_flight(sg_dispatcher *d);
/* Each sender's mps is shared by live nodes (at least 1; set by the node's
 * heartbeat, dispatch/nodes.c): this dispatcher's buckets take their share. */
void sg_dispatcher_set_nodes(sg_dispatcher *d, size_t live);
/* Messages this dispatcher's providers accepted since it started. */
int64_t sg_dispatcher_sent(sg_dispatcher *d);

/* Sends claimed at insert. The API reserves room here for messages due now
 * (sg_dispatcher_reserve: how many of n it may hand over, 0 when the dispatcher
 * has enough to do or is stopping), stores them already claimed (lease_until =
 * now + sg_dispatcher_lease_ms), and after the commit hands them over
 * (sg_dispatcher_handoff moves each message whose lease_until is still set and
 * returns how many it moved); room reserved and not handed over is given back
 * with sg_dispatcher_unreserve. The dispatcher does not claim those messages
 * from the store: one write fewer per message, and no wait for a claim. */
size_t sg_dispatcher_reserve(sg_dispatcher *d, size_t n);
void sg_dispatcher_unreserve(sg_dispatcher *d, size_t n);
size_t sg_dispatcher_handoff(sg_dispatcher *d, sg_message *msgs, size_t n);
int64_t sg_dispatcher_lease_ms(const sg_dispatcher *d);

#endif
