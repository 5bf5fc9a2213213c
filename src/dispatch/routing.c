#include "dispatch/routing.h"
#include "dispatch/breakers.h"
#include "util/time.h"
#include "core/phone.h"
#include "util/crypto.h"

#include <stdio.h>
#include <string.h>

bool sg_routing_usable(const char *provider_id, void *set)
{
    const sg_provider *p = sg_provider_set_find(set, provider_id);
    if (!p || !p->active || p->broken)
        return false;
    const sg_provider_set *ps = set;
    return !ps->breakers || sg_breakers_usable(ps->breakers, provider_id, sg_time_now_ms());
}

bool sg_routing_price(const char *provider_id, const char *region, double *price, void *set)
{
    const sg_provider *p = sg_provider_set_find(set, provider_id);
    if (!p || !region || !region[0])
        return false;
    for (size_t i = 0; i < p->n_prices; i++)
        if (strcmp(p->prices[i].country, region) == 0) {
            *price = (double)p->prices[i].micros / 1e6;
            return true;
        }
    return false;
}

sg_route_env sg_routing_env(const sg_provider_set *set, uint32_t random)
{
    return (sg_route_env){
        .usable = sg_routing_usable,
        .usable_ctx = (void *)set,
        .price = sg_routing_price,
        .price_ctx = (void *)set,
        .random = random,
    };
}

/* The destination's region, when a route of set matches by country (a phone
 * lookup otherwise saved); "" when not needed or not known. */
static void region_of(const sg_provider_set *set, const char *to, char region[3])
{
    region[0] = '\0';
    if (sg_routes_need_region(set->routes, set->n_routes) && !sg_phone_region(to, region))
        region[0] = '\0';
}

const sg_sms_route *sg_routing_match(const sg_provider_set *set, const char *to)
{
    char region[3];
    region_of(set, to, region);
    return sg_routes_find(set->routes, set->n_routes, to, region);
}

const sg_provider *sg_routing_choose(const sg_provider_set *set, const char *to,
                                     const sg_sms_route **route, char *detail, size_t cap)
{
    char region[3];
    region_of(set, to, region);
    const sg_sms_route *r = sg_routes_find(set->routes, set->n_routes, to, region);
    *route = r;
    detail[0] = '\0';
    const sg_provider *def = sg_provider_set_default(set);
    if (!r)
        return def;
    const char *order[SG_ROUTE_PROVIDERS_MAX];
    sg_route_env env = sg_routing_env(set, r->strategy == SG_ROUTE_WEIGHTED ? sg_random_u32() : 0);
    size_t n = sg_route_order(r, region, &env, order);
    const sg_provider *p = n ? sg_provider_set_find(set, order[0]) : NULL;
    if (p)
        snprintf(detail, cap, "route %s (%s): %s", r->name, sg_route_strategy_name(r->strategy),
                 p->name);
    else if (def)
        snprintf(detail, cap, "route %s (%s): no provider of the route is usable; the default, %s",
                 r->name, sg_route_strategy_name(r->strategy), def->name);
    return p ? p : def;
}

const sg_provider *sg_routing_sender_owner(const sg_provider_set *set, const char *from)
{
    const sg_provider *owner = NULL;
    for (size_t i = 0; i < set->n; i++) {
        const sg_provider *p = &set->items[i];
        const char *const *senders;
        size_t n = p->broken ? 0 : p->kind->senders(p->cfg, &senders);
        for (size_t k = 0; k < n; k++) {
            if (strcmp(senders[k], from) != 0)
                continue;
            if (owner && owner != p)
                return NULL; /* two providers have it: it pins neither */
            owner = p;
        }
    }
    return owner;
}
