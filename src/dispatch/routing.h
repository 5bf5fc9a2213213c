/* Routing over a provider snapshot (the registry's set): which provider a message
 * is accepted for, and which one it fails over to (core/route.h holds the pure
 * rules; docs/routing.md the behaviour). Used by the API when a message is
 * accepted and by the dispatcher when a provider fails it. */
#ifndef SG_DISPATCH_ROUTING_H
#define SG_DISPATCH_ROUTING_H

#include "core/route.h"
#include "dispatch/registry.h"

#include <stddef.h>
#include <stdint.h>

/* Whether provider id (of set, passed as ctx) may be given messages now: in the
 * set, active and loaded. The integrator adds the circuit breaker here (an open
 * breaker: not usable); every routing decision asks this one predicate. */
bool sg_routing_usable(const char *provider_id, void *set);

/* The price of one segment to region at provider id, when one is known (ctx: the
 * set). The price source of the cheapest strategy: none is kept yet, so this
 * says "not known" and cheapest orders as priority does; the per-country price
 * table (PUT /v1/providers/{id}/prices) answers here once it lands. */
bool sg_routing_price(const char *provider_id, const char *region, double *price, void *set);

/* The environment of a choice over set: sg_routing_usable, sg_routing_price and
 * the random draw. */
sg_route_env sg_routing_env(const sg_provider_set *set, uint32_t random);

/* The provider for a message to `to` whose provider is not pinned: the first route
 * of set matching the destination, and the first provider of its order
 * (sg_route_order; a weighted route draws with sg_random_u32, the others need no
 * draw); when no route matches, or none of its providers is usable,
 * the default provider. *route gets the route that matched (NULL if none);
 * detail (cap bytes) the route event's words ("route uk (priority): twilio-main",
 * "" without a route). NULL when there is no provider at all. */
const sg_provider *sg_routing_choose(const sg_provider_set *set, const char *to,
                                     const sg_sms_route **route, char *detail, size_t cap);

/* The route a pinned message that may fail over ("failover": true) follows: the
 * first of set matching to, or NULL. */
const sg_sms_route *sg_routing_match(const sg_provider_set *set, const char *to);

/* The provider that owns sender `from` (in its sender pool), when exactly one
 * provider of set does; NULL otherwise. */
const sg_provider *sg_routing_sender_owner(const sg_provider_set *set, const char *from);

#endif
