/* Routes: which provider sends a message, chosen by its destination, and which
 * one takes it over when a provider fails (docs/routing.md). Pure rules: no
 * store, no HTTP, no clock. The caller passes in what changes (whether a
 * provider is usable now, its price for a country, a random draw), so that every
 * choice is deterministic given its inputs. */
#ifndef SG_CORE_ROUTE_H
#define SG_CORE_ROUTE_H

#include "core/country_set.h"
#include "util/id.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_ROUTE_PROVIDERS_MAX 8  /* providers on one route */
#define SG_ROUTE_PREFIXES_MAX  16 /* prefixes in one match */
#define SG_ROUTE_PREFIX_MAX    17 /* "+" and up to 15 digits, NUL */
#define SG_ROUTE_NAME_MAX      64
#define SG_ROUTE_WEIGHT_MAX    1000000

typedef enum sg_route_strategy {
    SG_ROUTE_PRIORITY = 0, /* the providers in their order */
    SG_ROUTE_WEIGHTED,     /* the first drawn by weight, the others in order */
    SG_ROUTE_CHEAPEST,     /* by price for the destination's country, then in order */
} sg_route_strategy;

typedef enum sg_route_on_unknown {
    SG_ON_UNKNOWN_RETRY = 0, /* an unknown outcome that cannot be looked up: retry there */
    SG_ON_UNKNOWN_FAILOVER,  /* ... or fail over at once (a duplicate is possible) */
} sg_route_on_unknown;

typedef struct sg_sms_route {
    char id[SG_ID_MAX]; /* "rte_..." */
    char name[SG_ROUTE_NAME_MAX];
    int64_t position; /* routes are evaluated by ascending position */
    /* The match: a destination matches when its country is in countries or its
     * number starts with one of prefixes; with neither, every destination. */
    sg_country_set countries;
    char prefixes[SG_ROUTE_PREFIXES_MAX][SG_ROUTE_PREFIX_MAX];
    size_t n_prefixes;
    char providers[SG_ROUTE_PROVIDERS_MAX][SG_ID_MAX]; /* provider ids, in order */
    size_t n_providers;
    unsigned weights[SG_ROUTE_PROVIDERS_MAX]; /* SG_ROUTE_WEIGHTED: one per provider */
    sg_route_strategy strategy;
    sg_route_on_unknown on_unknown;
    int64_t created_at, updated_at;
} sg_sms_route;

/* What a choice depends on besides the route. Every member may be NULL/0. */
typedef struct sg_route_env {
    /* Whether a provider may be given messages now (active, loaded, breaker not
     * open). NULL: every provider is. */
    bool (*usable)(const char *provider_id, void *ctx);
    void *usable_ctx;
    /* The price of one segment to region ("GB") at the provider, true when one is
     * known. NULL: no prices (cheapest then orders as priority does). */
    bool (*price)(const char *provider_id, const char *region, double *price, void *ctx);
    void *price_ctx;
    /* A uniform random draw, for SG_ROUTE_WEIGHTED. */
    uint32_t random;
} sg_route_env;

const char *sg_route_strategy_name(sg_route_strategy s); /* "priority", ... */
bool sg_route_strategy_parse(const char *name, sg_route_strategy *out);
const char *sg_route_on_unknown_name(sg_route_on_unknown u); /* "retry" | "failover" */
bool sg_route_on_unknown_parse(const char *name, sg_route_on_unknown *out);

/* A prefix as a match takes it: "+" then 1 to 15 digits. */
bool sg_route_prefix_valid(const char *prefix);

/* Whether route r matches the E.164 number to, whose region (NULL or "" when not
 * known) is region. */
bool sg_route_matches(const sg_sms_route *r, const char *to, const char *region);

/* Whether any of the n routes matches by country or chooses the cheapest provider
 * (so the caller needs the destination's region; working it out costs a
 * phone-number lookup). */
bool sg_routes_need_region(const sg_sms_route *routes, size_t n);

/* The first of the n routes (in the array's order, which the caller keeps by
 * position) that matches to; NULL when none does. */
const sg_sms_route *sg_routes_find(const sg_sms_route *routes, size_t n, const char *to,
                                   const char *region);

/* The order in which route r's usable providers are tried for a destination in
 * region: out[0] is the choice, the rest the failover order (the providers after
 * the choice in the route's order). Priority: the route's order. Weighted: the
 * first drawn with env->random over the usable providers' weights, then the
 * others in order. Cheapest: the providers with a known price, cheapest first
 * (ties in the route's order), then those without one in the route's order; with
 * no price known at all this is the priority order. Returns how many ids were
 * written to out (pointers into r); 0 when no provider of the route is usable. */
size_t sg_route_order(const sg_sms_route *r, const char *region, const sg_route_env *env,
                      const char *out[SG_ROUTE_PROVIDERS_MAX]);

/* The provider a message fails over to: the first of route r's providers (r may
 * be NULL: no route), then default_id (may be NULL or ""), that is not current,
 * not in tried (provider ids separated by commas; may be NULL) and usable. NULL
 * when there is none: the message stays on current. */
const char *sg_route_next(const sg_sms_route *r, const char *default_id, const char *current,
                          const char *tried, const sg_route_env *env);

/* Whether id is one of the comma-separated ids of list (NULL: none). */
bool sg_route_id_listed(const char *list, const char *id);

#endif
