#include "api/route_admin.h"
#include "api/common.h"
#include "dispatch/registry.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const known_keys[] = {"name",    "match",      "providers", "strategy",
                                         "weights", "on_unknown", "position",  NULL};
#define KNOWN_TEXT "name, match, providers, strategy, weights, on_unknown, position"

/* 1-63 characters of a-z, 0-9, '-' and '_' (as provider names). */
static bool name_valid(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n < SG_ROUTE_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

static bool check_keys(json_t *in, sg_reject *rej)
{
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        size_t i = 0;
        while (known_keys[i] && strcmp(known_keys[i], key) != 0)
            i++;
        if (!known_keys[i])
            return sg_reject_set(rej, 400, "invalid_request", key,
                                 "unknown field '%.64s' (known: " KNOWN_TEXT ")", key);
    }
    return true;
}

static bool parse_countries(json_t *v, sg_sms_route *r, sg_reject *rej)
{
    memset(&r->countries, 0, sizeof r->countries);
    if (!v || json_is_null(v))
        return true;
    char text[SG_COUNTRY_SET_MAX * 4 + 1] = "", bad[16];
    size_t i, len = 0;
    json_t *item;
    if (!json_is_array(v) || json_array_size(v) > SG_COUNTRY_SET_MAX)
        return sg_reject_set(rej, 400, "invalid_request", "match.countries",
                             "'countries' must be an array of at most %d ISO 3166 country codes "
                             "such as \"GB\"",
                             SG_COUNTRY_SET_MAX);
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item) || json_string_length(item) != 2)
            return sg_reject_set(rej, 400, "invalid_request", "match.countries",
                                 "'countries' must hold two-letter country codes such as \"GB\"");
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", i ? "," : "",
                                json_string_value(item));
    }
    if (!sg_country_set_parse(text, &r->countries, bad))
        return sg_reject_set(rej, 400, "invalid_request", "match.countries",
                             "'%s' is not a country code (ISO 3166, such as \"GB\")", bad);
    return true;
}

static bool parse_prefixes(json_t *v, sg_sms_route *r, sg_reject *rej)
{
    r->n_prefixes = 0;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_array(v) || json_array_size(v) > SG_ROUTE_PREFIXES_MAX)
        return sg_reject_set(rej, 400, "invalid_request", "match.prefixes",
                             "'prefixes' must be an array of at most %d number prefixes such as "
                             "\"+2547\"",
                             SG_ROUTE_PREFIXES_MAX);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item) || !sg_route_prefix_valid(json_string_value(item)))
            return sg_reject_set(rej, 400, "invalid_request", "match.prefixes",
                                 "'%.32s' is not a number prefix: '+' and 1 to 15 digits, such as "
                                 "\"+2547\"",
                                 json_is_string(item) ? json_string_value(item) : "(not a string)");
        snprintf(r->prefixes[r->n_prefixes++], SG_ROUTE_PREFIX_MAX, "%s", json_string_value(item));
    }
    return true;
}

static bool parse_match(json_t *v, sg_sms_route *r, sg_reject *rej)
{
    if (v && !json_is_null(v) && !json_is_object(v))
        return sg_reject_set(rej, 400, "invalid_request", "match",
                             "'match' must be an object with 'countries' and/or 'prefixes'");
    const char *key;
    json_t *item;
    json_object_foreach(v, key, item)
    {
        if (strcmp(key, "countries") != 0 && strcmp(key, "prefixes") != 0)
            return sg_reject_set(rej, 400, "invalid_request", "match",
                                 "unknown field 'match.%.32s' (known: countries, prefixes)", key);
    }
    return parse_countries(json_object_get(v, "countries"), r, rej) &&
           parse_prefixes(json_object_get(v, "prefixes"), r, rej);
}

/* Providers by name or id, stored by id; unknown or repeated ones refused. */
static bool parse_providers(json_t *v, const sg_provider_set *set, sg_sms_route *r, sg_reject *rej)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > SG_ROUTE_PROVIDERS_MAX)
        return sg_reject_set(rej, 400, "invalid_request", "providers",
                             "'providers' must be an array of 1 to %d provider names or ids, in "
                             "the order to try them",
                             SG_ROUTE_PROVIDERS_MAX);
    r->n_providers = 0;
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        const sg_provider *p =
            json_is_string(item) ? sg_provider_set_find(set, json_string_value(item)) : NULL;
        if (!p)
            return sg_reject_set(rej, 422, "unknown_provider", "providers",
                                 "no provider named '%.64s'",
                                 json_is_string(item) ? json_string_value(item) : "(not a string)");
        for (size_t k = 0; k < r->n_providers; k++) {
            if (strcmp(r->providers[k], p->id) == 0)
                return sg_reject_set(rej, 400, "invalid_request", "providers",
                                     "provider '%s' is listed twice", p->name);
        }
        snprintf(r->providers[r->n_providers], SG_ID_MAX, "%s", p->id);
        r->weights[r->n_providers++] = 1;
    }
    return true;
}

/* Weights: one per provider, whole numbers 0..SG_ROUTE_WEIGHT_MAX, not all 0; only
 * with the weighted strategy (absent: equal weights). */
static bool parse_weights(json_t *v, sg_sms_route *r, sg_reject *rej)
{
    if (!v || json_is_null(v)) {
        for (size_t i = 0; i < r->n_providers; i++)
            r->weights[i] = 1;
        return true;
    }
    if (r->strategy != SG_ROUTE_WEIGHTED)
        return sg_reject_set(rej, 400, "invalid_request", "weights",
                             "'weights' are for the weighted strategy only");
    if (!json_is_array(v) || json_array_size(v) != r->n_providers)
        return sg_reject_set(rej, 400, "invalid_request", "weights",
                             "'weights' must be an array of one whole number per provider (%zu)",
                             r->n_providers);
    unsigned long total = 0;
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        json_int_t w = json_is_integer(item) ? json_integer_value(item) : -1;
        if (w < 0 || w > SG_ROUTE_WEIGHT_MAX)
            return sg_reject_set(rej, 400, "invalid_request", "weights",
                                 "each weight must be a whole number from 0 to %d",
                                 SG_ROUTE_WEIGHT_MAX);
        r->weights[i] = (unsigned)w;
        total += (unsigned long)w;
    }
    if (total == 0)
        return sg_reject_set(rej, 400, "invalid_request", "weights",
                             "at least one weight must be above 0");
    return true;
}

static bool parse_enum_fields(json_t *in, sg_sms_route *r, sg_reject *rej)
{
    json_t *v = json_object_get(in, "strategy");
    if (v && !(json_is_string(v) && sg_route_strategy_parse(json_string_value(v), &r->strategy)))
        return sg_reject_set(rej, 400, "invalid_request", "strategy",
                             "'strategy' must be \"priority\", \"weighted\" or \"cheapest\"");
    v = json_object_get(in, "on_unknown");
    if (v &&
        !(json_is_string(v) && sg_route_on_unknown_parse(json_string_value(v), &r->on_unknown)))
        return sg_reject_set(rej, 400, "invalid_request", "on_unknown",
                             "'on_unknown' must be \"retry\" (the default: never a duplicate) or "
                             "\"failover\" (a duplicate is possible)");
    v = json_object_get(in, "position");
    r->position = 0;
    if (v &&
        !(json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 1000000))
        return sg_reject_set(rej, 400, "invalid_request", "position",
                             "'position' must be a whole number from 1 (evaluated first)");
    if (v)
        r->position = (int64_t)json_integer_value(v);
    return true;
}

/* Apply in (all of it for a create, the fields given for an update) to r. */
static bool apply(json_t *in, const sg_provider_set *set, bool create, sg_sms_route *r,
                  sg_reject *rej)
{
    if (!json_is_object(in))
        return sg_reject_set(rej, 400, "invalid_request", NULL, "a route must be a JSON object");
    if (!check_keys(in, rej))
        return false;
    json_t *v = json_object_get(in, "name");
    if (create && !v)
        return sg_reject_set(rej, 400, "invalid_request", "name",
                             "'name' is required (e.g. \"uk\")");
    if (v && !(json_is_string(v) && name_valid(json_string_value(v))))
        return sg_reject_set(rej, 400, "invalid_request", "name",
                             "'name' must be 1-63 characters of a-z, 0-9, '-' and '_'");
    if (v)
        snprintf(r->name, sizeof r->name, "%s", json_string_value(v));
    if ((create || json_object_get(in, "match")) &&
        !parse_match(json_object_get(in, "match"), r, rej))
        return false;
    if (!parse_enum_fields(in, r, rej))
        return false;
    v = json_object_get(in, "providers");
    if (create && !v)
        return sg_reject_set(rej, 400, "invalid_request", "providers",
                             "'providers' is required: the providers' names or ids in order");
    unsigned kept[SG_ROUTE_PROVIDERS_MAX];
    memcpy(kept, r->weights, sizeof kept);
    if (v && !parse_providers(v, set, r, rej))
        return false;
    json_t *w = json_object_get(in, "weights");
    if (!w && !v && r->strategy == SG_ROUTE_WEIGHTED) { /* unchanged providers: keep weights */
        memcpy(r->weights, kept, sizeof kept);
        return true;
    }
    return parse_weights(w, r, rej);
}

static json_t *strings_json(const char *items, size_t cap, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(items + i * cap));
    return a;
}

/* The route as shown: providers by id with their names beside (null for a
 * provider removed since). */
static json_t *route_json(const sg_sms_route *r, const sg_provider_set *set)
{
    json_t *countries = json_array(), *names = json_array(), *weights = json_array();
    for (size_t i = 0; i < r->countries.n; i++)
        json_array_append_new(countries, json_string(r->countries.codes[i]));
    for (size_t i = 0; i < r->n_providers; i++) {
        const sg_provider *p = sg_provider_set_find(set, r->providers[i]);
        json_array_append_new(names, p ? json_string(p->name) : json_null());
        json_array_append_new(weights, json_integer(r->weights[i]));
    }
    if (r->strategy != SG_ROUTE_WEIGHTED) { /* weights mean nothing to the others */
        json_decref(weights);
        weights = json_null();
    }
    return json_pack(
        "{s:s, s:s, s:I, s:{s:o, s:o}, s:o, s:o, s:s, s:o, s:s, s:o, s:o}", "id", r->id, "name",
        r->name, "position", (json_int_t)r->position, "match", "countries", countries, "prefixes",
        strings_json(&r->prefixes[0][0], SG_ROUTE_PREFIX_MAX, r->n_prefixes), "providers",
        strings_json(&r->providers[0][0], SG_ID_MAX, r->n_providers), "provider_names", names,
        "strategy", sg_route_strategy_name(r->strategy), "weights", weights, "on_unknown",
        sg_route_on_unknown_name(r->on_unknown), "created_at", sg_api_time_json(r->created_at),
        "updated_at", sg_api_time_json(r->updated_at));
}

static bool store_failed(sg_err err, const sg_error *e, const char *what, sg_reject *rej)
{
    const char *why = e->message[0] ? e->message : what;
    switch (err) {
    case SG_ERR_CONFLICT:
        return sg_reject_set(rej, 409, "conflict", e->field[0] ? e->field : "name", "%s", why);
    case SG_ERR_NOT_FOUND:
        return sg_reject_set(rej, 404, "not_found", NULL, "%s", why);
    case SG_ERR_BUSY:
        return sg_reject_set(rej, 503, "store_busy", NULL, "the database is busy: %s", why);
    default:
        return sg_reject_set(rej, 500, "store_error", NULL, "%s", why);
    }
}

/* Read the stored route and a fresh view of it. */
static bool view_of(sg_app *app, const char *id, json_t **view, sg_reject *rej)
{
    sg_sms_route r;
    sg_err err = sg_store_route_get(app->store, id, &r);
    if (err) {
        sg_error e = {0};
        sg_error_set(&e, err, NULL, "no route '%.64s'", id);
        return store_failed(err, &e, "cannot read the route", rej);
    }
    sg_provider_set *set = sg_registry_get(app->registry);
    *view = route_json(&r, set);
    sg_registry_release(app->registry, set);
    return true;
}

bool sg_route_admin_create(sg_app *app, json_t *in, json_t **view, char id[SG_ID_MAX],
                           sg_reject *rej)
{
    sg_sms_route r;
    memset(&r, 0, sizeof r);
    sg_provider_set *set = sg_registry_get(app->registry);
    bool ok = apply(in, set, true, &r, rej);
    sg_registry_release(app->registry, set);
    if (!ok)
        return false;
    r.created_at = r.updated_at = sg_time_now_ms();
    sg_id_new("rte", r.created_at, r.id);
    sg_error e = {0};
    sg_err err = sg_store_route_insert(app->store, &r, &e);
    if (err)
        return store_failed(err, &e, "cannot store the route", rej);
    sg_registry_invalidate(app->registry);
    snprintf(id, SG_ID_MAX, "%s", r.id);
    return view_of(app, r.id, view, rej);
}

bool sg_route_admin_update(sg_app *app, const char *id_or_name, json_t *patch, json_t **view,
                           char id[SG_ID_MAX], sg_reject *rej)
{
    sg_sms_route r;
    sg_err err = sg_store_route_get(app->store, id_or_name, &r);
    if (err == SG_ERR_NOT_FOUND)
        return sg_reject_set(rej, 404, "not_found", NULL, "no route '%.64s'", id_or_name);
    if (err)
        return sg_reject_set(rej, 500, "store_error", NULL, "cannot read the route");
    sg_provider_set *set = sg_registry_get(app->registry);
    bool ok = apply(patch, set, false, &r, rej);
    sg_registry_release(app->registry, set);
    if (!ok)
        return false;
    r.updated_at = sg_time_now_ms();
    sg_error e = {0};
    err = sg_store_route_update(app->store, &r, &e);
    if (err)
        return store_failed(err, &e, "cannot store the route", rej);
    sg_registry_invalidate(app->registry);
    snprintf(id, SG_ID_MAX, "%s", r.id);
    return view_of(app, r.id, view, rej);
}

bool sg_route_admin_delete(sg_app *app, const char *id_or_name, char id[SG_ID_MAX], sg_reject *rej)
{
    sg_sms_route r;
    sg_err err = sg_store_route_get(app->store, id_or_name, &r);
    if (err == SG_ERR_NOT_FOUND)
        return sg_reject_set(rej, 404, "not_found", NULL, "no route '%.64s'", id_or_name);
    sg_error e = {0};
    if (!err)
        err = sg_store_route_delete(app->store, r.id, &e);
    if (err)
        return store_failed(err, &e, "cannot delete the route", rej);
    sg_registry_invalidate(app->registry);
    snprintf(id, SG_ID_MAX, "%s", r.id);
    return true;
}

bool sg_route_admin_show(sg_app *app, const char *id_or_name, json_t **view, sg_reject *rej)
{
    return view_of(app, id_or_name, view, rej);
}

bool sg_route_admin_list(sg_app *app, json_t **view, sg_reject *rej)
{
    sg_sms_route *rows;
    size_t n;
    sg_err err = sg_store_route_list(app->store, &rows, &n);
    if (err)
        return sg_reject_set(rej, 500, "store_error", NULL, "cannot list the routes");
    sg_provider_set *set = sg_registry_get(app->registry);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, route_json(&rows[i], set));
    sg_registry_release(app->registry, set);
    free(rows);
    *view = json_pack("{s:o}", "data", data);
    return true;
}
