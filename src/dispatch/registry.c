#include "dispatch/registry.h"
#include "providers/config_fields.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_EVERY_MS 250

struct sg_registry {
    sg_store *store;
    uint8_t key[SG_MASTER_KEY_LEN];
    pthread_mutex_t lock;
    sg_provider_set *current;
    int64_t checked_at;
    struct sg_breakers *breakers; /* copied into each snapshot (sg_registry_set_breakers) */
};

void sg_provider_unload(sg_provider *p)
{
    free(p->prices);
    p->prices = NULL;
    p->n_prices = 0;
    if (p->kind && p->cfg)
        p->kind->config_free(p->cfg);
    json_decref(p->config);
    p->cfg = NULL;
    p->config = NULL;
}

void sg_provider_load(sg_provider *p, const sg_provider_row *row,
                      const uint8_t key[SG_MASTER_KEY_LEN])
{
    memset(p, 0, sizeof *p);
    snprintf(p->id, sizeof p->id, "%s", row->id);
    snprintf(p->name, sizeof p->name, "%s", row->name);
    snprintf(p->title, sizeof p->title, "%s", row->title);
    p->active = row->active;
    p->is_default = row->is_default;
    p->created_at = row->created_at;
    p->updated_at = row->updated_at;
    p->kind = sg_provider_kind_find(row->kind);
    if (!p->kind) {
        p->broken = true;
        snprintf(p->broken_reason, sizeof p->broken_reason, "unknown provider kind %s", row->kind);
        return;
    }
    json_error_t jerr;
    p->config = json_loads(row->config ? row->config : "{}", 0, &jerr);
    char *plain = NULL;
    if (row->secrets && *row->secrets && sg_secret_open(key, row->secrets, &plain) != SG_OK) {
        p->broken = true;
        snprintf(p->broken_reason, sizeof p->broken_reason,
                 "secrets cannot be decrypted with this master key");
        return;
    }
    json_t *secrets = plain ? json_loads(plain, 0, &jerr) : NULL;
    sg_secret_free(plain);
    if (!json_is_object(p->config)) {
        json_decref(secrets);
        p->broken = true;
        snprintf(p->broken_reason, sizeof p->broken_reason, "stored config is not an object");
        return;
    }
    if (json_is_object(secrets))
        json_object_update(p->config, secrets);
    json_decref(secrets);
    sg_error e = {0};
    json_t *common = NULL; /* the driver does not know these keys: out and back in */
    if (sg_prov_common_take(p->config, &common, &p->common, &e))
        p->cfg = p->kind->config_load(p->config, &e);
    if (common)
        json_object_update(p->config, common);
    json_decref(common);
    if (!p->cfg) {
        p->broken = true;
        snprintf(p->broken_reason, sizeof p->broken_reason, "%s", e.message);
        return;
    }
    json_t *mps = json_object_get(p->config, "mps");
    p->mps = json_is_number(mps) ? json_number_value(mps) : 1.0;
    int64_t retry_for; /* the driver's config_load checked it */
    sg_cfg_retry_for(p->config, &retry_for, &e);
    p->retry_for_ms = retry_for * 1000;
}

static void set_free(sg_provider_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        sg_provider_unload(&set->items[i]);
    free(set->items);
    free(set->routes);
    free(set);
}

static sg_provider_set *load_set(sg_registry *r, int64_t gen)
{
    sg_provider_row *rows;
    size_t n;
    if (sg_store_provider_list(r->store, &rows, &n) != SG_OK)
        return NULL;
    sg_provider_set *set = calloc(1, sizeof *set);
    if (set)
        set->items = calloc(n ? n : 1, sizeof *set->items);
    if (!set || !set->items) {
        free(set);
        set = NULL;
    } else {
        set->n = n;
        set->generation = gen;
        set->refs = 1;
        set->breakers = r->breakers;
        for (size_t i = 0; i < n; i++) {
            sg_provider_load(&set->items[i], &rows[i], r->key);
            if (sg_store_prices_list(r->store, set->items[i].id, &set->items[i].prices,
                                     &set->items[i].n_prices) != SG_OK)
                set->items[i].n_prices = 0; /* no prices: `cheapest` orders it last */
            if (set->items[i].broken)
                sg_log(SG_LOG_WARN, "provider_unusable", "provider=%s reason=\"%s\"",
                       set->items[i].name, set->items[i].broken_reason);
        }
    }
    for (size_t i = 0; i < n; i++)
        sg_provider_row_free(&rows[i]);
    free(rows);
    sg_err err = set ? sg_store_route_list(r->store, &set->routes, &set->n_routes) : SG_OK;
    if (err == SG_ERR_UNSUPPORTED) { /* a backend without routes yet: there are none */
        set->routes = NULL;
        set->n_routes = 0;
    } else if (err) {
        set_free(set); /* a snapshot without its routes would send the wrong way */
        set = NULL;
    }
    return set;
}

sg_err sg_registry_new(sg_store *store, const uint8_t key[SG_MASTER_KEY_LEN], sg_registry **out,
                       sg_error *e)
{
    sg_registry *r = calloc(1, sizeof *r);
    if (!r)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    r->store = store;
    memcpy(r->key, key, SG_MASTER_KEY_LEN);
    pthread_mutex_init(&r->lock, NULL);
    int64_t gen = 0;
    sg_store_provider_generation(store, &gen);
    r->current = load_set(r, gen);
    if (!r->current) {
        sg_registry_destroy(r);
        return sg_error_set(e, SG_ERR_DB, NULL, "cannot load providers");
    }
    r->checked_at = sg_time_mono_ms();
    *out = r;
    return SG_OK;
}

void sg_registry_destroy(sg_registry *r)
{
    if (!r)
        return;
    if (r->current && --r->current->refs == 0)
        set_free(r->current);
    pthread_mutex_destroy(&r->lock);
    memset(r->key, 0, sizeof r->key);
    free(r);
}

sg_provider_set *sg_registry_get(sg_registry *r)
{
    pthread_mutex_lock(&r->lock);
    int64_t now = sg_time_mono_ms();
    if (now - r->checked_at >= CHECK_EVERY_MS) {
        r->checked_at = now;
        int64_t gen;
        if (sg_store_provider_generation(r->store, &gen) == SG_OK &&
            gen != r->current->generation) {
            sg_provider_set *fresh = load_set(r, gen);
            if (fresh) {
                if (--r->current->refs == 0)
                    set_free(r->current);
                r->current = fresh;
            }
        }
    }
    sg_provider_set *set = r->current;
    set->refs++;
    pthread_mutex_unlock(&r->lock);
    return set;
}

void sg_registry_release(sg_registry *r, sg_provider_set *set)
{
    if (!set)
        return;
    pthread_mutex_lock(&r->lock);
    bool last = --set->refs == 0;
    pthread_mutex_unlock(&r->lock);
    if (last)
        set_free(set);
}

void sg_registry_invalidate(sg_registry *r)
{
    pthread_mutex_lock(&r->lock);
    r->checked_at = 0;
    r->current->generation = -1;
    pthread_mutex_unlock(&r->lock);
}

const sg_provider *sg_provider_set_find(const sg_provider_set *set, const char *id_or_name)
{
    for (size_t i = 0; i < set->n; i++) {
        if (strcmp(set->items[i].id, id_or_name) == 0 ||
            strcmp(set->items[i].name, id_or_name) == 0)
            return &set->items[i];
    }
    return NULL;
}

bool sg_provider_url_secret_of(const sg_provider *p)
{
    return !p->broken && p->kind && sg_provider_url_secret(p->kind, p->cfg);
}

bool sg_provider_callback_url(const sg_provider *p, const char *public_url, const char *what,
                              bool mask, char *out, size_t cap)
{
    json_t *secret = p->config ? json_object_get(p->config, "callback_secret") : NULL;
    int n;
    if (sg_provider_url_secret_of(p) && json_is_string(secret))
        n = snprintf(out, cap, "%s/callbacks/%s/%s/%s", public_url, p->id,
                     mask ? "****" : json_string_value(secret), what);
    else
        n = snprintf(out, cap, "%s/callbacks/%s/%s", public_url, p->id, what);
    if (n < 0 || (size_t)n >= cap) {
        if (cap)
            out[0] = '\0';
        return false;
    }
    return true;
}

const sg_sms_route *sg_provider_set_route(const sg_provider_set *set, const char *id)
{
    for (size_t i = 0; id && id[0] && i < set->n_routes; i++) {
        if (strcmp(set->routes[i].id, id) == 0)
            return &set->routes[i];
    }
    return NULL;
}

const sg_provider *sg_provider_set_default(const sg_provider_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        if (set->items[i].is_default)
            return &set->items[i];
    }
    return NULL;
}

void sg_registry_set_breakers(sg_registry *r, struct sg_breakers *b)
{
    pthread_mutex_lock(&r->lock);
    r->breakers = b;
    if (r->current)
        r->current->breakers = b;
    pthread_mutex_unlock(&r->lock);
}
