/* The providers in memory: each row of the store decrypted, validated by its
 * driver and ready to use. Readers take a reference-counted snapshot, so a
 * provider being edited never changes under a request or a send in flight. The
 * snapshot is rebuilt when the store's provider generation changes (also when
 * another process, such as the CLI, edited a provider). */
#ifndef SG_DISPATCH_REGISTRY_H
#define SG_DISPATCH_REGISTRY_H

#include "providers/common_options.h"
#include "providers/provider.h"
#include "store/store.h"
#include "util/crypto.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct sg_provider {
    char id[SG_ID_MAX];
    char name[64];
    char title[128];
    bool active;
    bool is_default;
    const sg_provider_kind *kind;
    void *cfg;      /* the driver's parsed config */
    json_t *config; /* normalised config, secrets included: never log or show it */
    double mps;     /* sends per second per sender */
    /* config.retry_for_seconds in ms: how long after a message's first attempt
     * transient failures are retried */
    int64_t retry_for_ms;
    int64_t created_at, updated_at;
    sg_prov_common common; /* require_template_id, status_callback_url */
    bool broken;           /* could not be decrypted or loaded: never used */
    char broken_reason[256];
    sg_price *prices; /* its price list (PUT /v1/providers/{id}/prices), owned */
    size_t n_prices;
} sg_provider;

typedef struct sg_provider_set {
    int refs; /* guarded by the registry lock */
    sg_provider *items;
    size_t n;
    int64_t generation;
    sg_sms_route *routes; /* in order (position); loaded with the providers */
    size_t n_routes;
    /* The node's circuit breakers (dispatch/breakers.h), or NULL: route choice skips
     * a provider whose breaker is open (sg_routing_usable). Not owned. */
    struct sg_breakers *breakers;
} sg_provider_set;

typedef struct sg_registry sg_registry;

sg_err sg_registry_new(sg_store *store, const uint8_t key[SG_MASTER_KEY_LEN], sg_registry **out,
                       sg_error *e);
void sg_registry_destroy(sg_registry *r);

/* The circuit breakers the snapshots carry from now on (NULL: none), for route
 * choice. Called by serve before the dispatcher and the HTTP server start, and
 * with NULL after they stop (no other thread reads snapshots then). */
void sg_registry_set_breakers(sg_registry *r, struct sg_breakers *b);

/* The current snapshot (reloaded first when the store changed; the store is asked
 * at most every 250 ms). Never NULL after a successful sg_registry_new. Release
 * it with sg_registry_release. */
sg_provider_set *sg_registry_get(sg_registry *r);
void sg_registry_release(sg_registry *r, sg_provider_set *set);
/* Forget the snapshot so the next get reloads at once (after an edit). */
void sg_registry_invalidate(sg_registry *r);

/* By id or name; NULL if absent. Borrowed from the set. */
const sg_provider *sg_provider_set_find(const sg_provider_set *set, const char *id_or_name);
/* The route with that id, or NULL. Borrowed from the set. */
const sg_sms_route *sg_provider_set_route(const sg_provider_set *set, const char *id);
/* The default provider, or NULL. */
const sg_provider *sg_provider_set_default(const sg_provider_set *set);

/* True when p's webhooks come to URLs that carry its callback_secret (a kind that
 * cannot sign, or a Twilio provider without an auth_token), false when they are
 * signed. A broken provider: false. */
bool sg_provider_url_secret_of(const sg_provider *p);

/* p's callback URL for `what` ("status" or "inbound") under public_url (no
 * trailing '/'): public_url/callbacks/<id>/<secret>/<what> when
 * sg_provider_url_secret_of(p) and it has a callback_secret, with the secret
 * written as "****" when mask is true; else public_url/callbacks/<id>/<what>.
 * False (out holds "") when it does not fit in cap. The unmasked URL is a
 * credential: never log it. */
bool sg_provider_callback_url(const sg_provider *p, const char *public_url, const char *what,
                              bool mask, char *out, size_t cap);

/* Decrypt and load one store row (used by the registry and by `provider test`).
 * On failure p->broken is set with a reason. */
void sg_provider_load(sg_provider *p, const sg_provider_row *row,
                      const uint8_t key[SG_MASTER_KEY_LEN]);
void sg_provider_unload(sg_provider *p);

#endif
