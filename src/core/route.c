#include "core/route.h"

#include <string.h>

typedef struct name_row {
    const char *name;
    int value;
} name_row;

static const name_row strategies[] = {
    {"priority", SG_ROUTE_PRIORITY},
    {"weighted", SG_ROUTE_WEIGHTED},
    {"cheapest", SG_ROUTE_CHEAPEST},
    {NULL, 0},
};

static const name_row on_unknowns[] = {
    {"retry", SG_ON_UNKNOWN_RETRY},
    {"failover", SG_ON_UNKNOWN_FAILOVER},
    {NULL, 0},
};

static const char *row_name(const name_row *rows, int value)
{
    for (const name_row *r = rows; r->name; r++) {
        if (r->value == value)
            return r->name;
    }
    return rows[0].name;
}

static bool row_parse(const name_row *rows, const char *name, int *out)
{
    for (const name_row *r = rows; name && r->name; r++) {
        if (strcmp(r->name, name) == 0) {
            *out = r->value;
            return true;
        }
    }
    return false;
}

const char *sg_route_strategy_name(sg_route_strategy s)
{
    return row_name(strategies, (int)s);
}

bool sg_route_strategy_parse(const char *name, sg_route_strategy *out)
{
    int v;
    if (!row_parse(strategies, name, &v))
        return false;
    *out = (sg_route_strategy)v;
    return true;
}

const char *sg_route_on_unknown_name(sg_route_on_unknown u)
{
    return row_name(on_unknowns, (int)u);
}

bool sg_route_on_unknown_parse(const char *name, sg_route_on_unknown *out)
{
    int v;
    if (!row_parse(on_unknowns, name, &v))
        return false;
    *out = (sg_route_on_unknown)v;
    return true;
}

bool sg_route_prefix_valid(const char *prefix)
{
    size_t len = prefix ? strlen(prefix) : 0;
    if (len < 2 || len > SG_ROUTE_PREFIX_MAX - 1 || prefix[0] != '+')
        return false;
    return strspn(prefix + 1, "0123456789") == len - 1;
}

bool sg_route_matches(const sg_sms_route *r, const char *to, const char *region)
{
    if (r->countries.n == 0 && r->n_prefixes == 0)
        return true;
    if (r->countries.n && region && region[0] && sg_country_set_allows(&r->countries, region))
        return true;
    for (size_t i = 0; i < r->n_prefixes; i++) {
        if (strncmp(to, r->prefixes[i], strlen(r->prefixes[i])) == 0)
            return true;
    }
    return false;
}

bool sg_routes_need_region(const sg_sms_route *routes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (routes[i].countries.n || routes[i].strategy == SG_ROUTE_CHEAPEST)
            return true; /* cheapest: the price is the destination country's */
    }
    return false;
}

const sg_sms_route *sg_routes_find(const sg_sms_route *routes, size_t n, const char *to,
                                   const char *region)
{
    for (size_t i = 0; i < n; i++) {
        if (sg_route_matches(&routes[i], to, region))
            return &routes[i];
    }
    return NULL;
}

static bool usable(const sg_route_env *env, const char *id)
{
    return !env || !env->usable || env->usable(id, env->usable_ctx);
}

/* Move out[k] to the front, keeping the others in their order. */
static void to_front(const char *out[], size_t k)
{
    const char *chosen = out[k];
    memmove(out + 1, out, k * sizeof *out);
    out[0] = chosen;
}

/* The weighted draw over the n usable ids in out (their weights in w): the index
 * whose share of the total holds random mod total; 0 when every weight is 0. */
static size_t weighted_pick(const unsigned w[], size_t n, uint32_t random)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    if (total == 0)
        return 0;
    uint64_t x = (uint64_t)random % total;
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

/* Stable insertion sort of out[0..n) by price, those without a price after
 * those with one (no price: +infinity, kept in the route's order). */
static void sort_by_price(const char *out[], size_t n, const char *region, const sg_route_env *env)
{
    double price[SG_ROUTE_PROVIDERS_MAX];
    bool known[SG_ROUTE_PROVIDERS_MAX];
    for (size_t i = 0; i < n; i++)
        known[i] = region && region[0] && env->price(out[i], region, &price[i], env->price_ctx);
    for (size_t i = 1; i < n; i++) {
        const char *id = out[i];
        double p = price[i];
        bool k = known[i];
        size_t j = i;
        while (j > 0 && k && (!known[j - 1] || price[j - 1] > p)) {
            out[j] = out[j - 1];
            price[j] = price[j - 1];
            known[j] = known[j - 1];
            j--;
        }
        out[j] = id;
        price[j] = p;
        known[j] = k;
    }
}

size_t sg_route_order(const sg_sms_route *r, const char *region, const sg_route_env *env,
                      const char *out[SG_ROUTE_PROVIDERS_MAX])
{
    unsigned w[SG_ROUTE_PROVIDERS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < r->n_providers && i < SG_ROUTE_PROVIDERS_MAX; i++) {
        if (!usable(env, r->providers[i]))
            continue;
        w[n] = r->weights[i];
        out[n++] = r->providers[i];
    }
    if (n < 2)
        return n;
    if (r->strategy == SG_ROUTE_WEIGHTED)
        to_front(out, weighted_pick(w, n, env ? env->random : 0));
    else if (r->strategy == SG_ROUTE_CHEAPEST && env && env->price)
        sort_by_price(out, n, region, env);
    return n;
}

bool sg_route_id_listed(const char *list, const char *id)
{
    size_t len = strlen(id);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == len && len && strncmp(p, id, len) == 0)
            return true;
        p += n + (comma ? 1 : 0);
    }
    return false;
}

static bool candidate(const char *id, const char *current, const char *tried,
                      const sg_route_env *env)
{
    return id && id[0] && strcmp(id, current) != 0 && !sg_route_id_listed(tried, id) &&
           usable(env, id);
}

const char *sg_route_next(const sg_sms_route *r, const char *default_id, const char *current,
                          const char *tried, const sg_route_env *env)
{
    for (size_t i = 0; r && i < r->n_providers && i < SG_ROUTE_PROVIDERS_MAX; i++) {
        if (candidate(r->providers[i], current, tried, env))
            return r->providers[i];
    }
    return candidate(default_id, current, tried, env) ? default_id : NULL;
}
