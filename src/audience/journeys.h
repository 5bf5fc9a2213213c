/* The journey engine (issue 16, docs/journeys.md): a thread of `serve` that,
 * every tick, enrols the members newly added to the groups of group-triggered
 * journeys, then leases due enrolments in bounded batches and runs their steps:
 * send / wait / wait_for_reply (its timeout) / branch / add_to_group /
 * remove_from_group / set_attribute / webhook / end. Replies are routed to the
 * enrolments waiting for them by the inbound path (callbacks/journey_replies.c),
 * not here.
 *
 * Everything it decides is in the store: a step and its record are one write
 * (sg_store_journey_advance), so after a crash only steps not recorded run again,
 * and a send step's message is keyed so it is never queued twice. */
#ifndef SG_AUDIENCE_JOURNEYS_H
#define SG_AUDIENCE_JOURNEYS_H

#include "dispatch/registry.h"
#include "store/store.h"

struct sg_dispatcher;

typedef struct sg_journeys_config {
    unsigned tick_ms;   /* how often to look when idle (default 200) */
    unsigned batch;     /* enrolments leased at once (default 200) */
    int64_t lease_ms;   /* how long a lease holds (default 60000) */
    unsigned max_steps; /* steps one enrolment may take (default 100) */
    int64_t max_age_ms; /* an enrolment older than this exits (default 30 days) */
} sg_journeys_config;

typedef struct sg_journeys sg_journeys;

/* Start the engine. Leases left by a previous process are released first (one
 * engine per database). The registry and dispatcher are borrowed. */
sg_err sg_journeys_start(const sg_journeys_config *cfg, sg_store *store, sg_registry *registry,
                         struct sg_dispatcher *dispatcher, sg_journeys **out, sg_error *e);
/* Look now rather than at the next tick (an enrolment was made). */
void sg_journeys_wake(sg_journeys *j);
void sg_journeys_stop(sg_journeys *j);

#endif
