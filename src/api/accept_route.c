/* Which provider an accepted message goes to (docs/routing.md): pinned by its
 * "provider" or by a "from" only one provider owns, else chosen by its route. */
#include "api/accept.h"
#include "dispatch/routing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "failover": absent, null, true or false into *out; false after rej. */
static bool failover_field(json_t *obj, bool *out, sg_reject *rej)
{
    json_t *v = json_object_get(obj, "failover");
    *out = json_is_true(v);
    if (v && !json_is_null(v) && !json_is_boolean(v))
        return sg_reject_set(rej, 400, "invalid_request", "failover",
                             "'failover' must be true or false");
    return true;
}

/* The provider obj's "provider" names, or the owner of m->from; NULL when
 * neither pins one. */
static bool pinned(const sg_provider_set *set, json_t *obj, const sg_message *m,
                   const sg_provider **p, sg_reject *rej)
{
    json_t *pv = json_object_get(obj, "provider");
    *p = NULL;
    if (pv && !json_is_null(pv)) {
        if (!json_is_string(pv))
            return sg_reject_set(rej, 400, "invalid_request", "provider",
                                 "'provider' must be a provider's name or id");
        *p = sg_provider_set_find(set, json_string_value(pv));
        if (!*p)
            return sg_reject_set(rej, 422, "unknown_provider", "provider",
                                 "no provider named '%.64s'", json_string_value(pv));
        return true;
    }
    if (m->from[0])
        *p = sg_routing_sender_owner(set, m->from);
    return true;
}

bool sg_accept_provider(const sg_provider_set *set, json_t *obj, sg_message *m,
                        const sg_provider **prov, sg_reject *rej)
{
    bool failover;
    const sg_provider *p;
    char event[192] = "";
    if (!failover_field(obj, &failover, rej) || !pinned(set, obj, m, &p, rej))
        return false;
    const sg_sms_route *route = NULL;
    if (p) {
        route = failover ? sg_routing_match(set, m->to) : NULL;
        bool named =
            json_object_get(obj, "provider") && !json_is_null(json_object_get(obj, "provider"));
        snprintf(event, sizeof event, "provider %s pinned by the message%s%s%s", p->name,
                 named ? "" : "'s sender ", named ? "" : m->from,
                 failover ? " (\"failover\": true)" : "");
    } else {
        p = sg_routing_choose(set, m->to, &route, event, sizeof event);
        failover = route != NULL;
    }
    if (!p)
        return sg_reject_set(rej, 422, "no_default_provider", "provider",
                             "no provider given, no route matches %s and no default provider is "
                             "set up (POST /v1/providers with \"default\": true)",
                             m->to);
    if (route)
        snprintf(m->route_id, sizeof m->route_id, "%s", route->id);
    if (event[0] && !(m->route_event = strdup(event)))
        return sg_reject_set(rej, 500, "internal", NULL, "out of memory");
    m->failover = failover;
    *prov = p;
    return true;
}
