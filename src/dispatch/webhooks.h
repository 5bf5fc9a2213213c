/* The app-webhook worker: one thread that claims due deliveries from the store
 * (rows the store queued when an event happened), POSTs each to its webhook's URL
 * over libcurl's multi interface, signed with the webhook's secret
 * (core/webhook_signature.h), and records the result: 2xx delivered; anything
 * else retried with exponential back-off and jitter until the delivery is older
 * than max_age_ms, then dead. See docs/webhooks.md. */
#ifndef SG_DISPATCH_WEBHOOKS_H
#define SG_DISPATCH_WEBHOOKS_H

#include "core/outbound_policy.h"
#include "store/store.h"
#include "util/crypto.h"

#include <stdint.h>

typedef struct sg_webhooks sg_webhooks;

/* Every field left 0 takes the default in brackets. */
typedef struct sg_webhooks_config {
    unsigned max_in_flight;      /* requests at once [64]; also the most claimed at once */
    unsigned per_webhook;        /* requests at once to one webhook [8]: a slow or dead
                                    receiver holds at most this many slots */
    unsigned batch;              /* deliveries claimed per store round trip [64] */
    int64_t lease_ms;            /* a claim expires after this (crash recovery) [60000] */
    unsigned connect_timeout_ms; /* per request [3000] */
    unsigned request_timeout_ms; /* per request, whole exchange [10000] */
    unsigned poll_ms;            /* look for due deliveries at least this often [500] */
    uint32_t retry_base_ms;      /* delay before the first retry, before jitter [10000] */
    uint32_t retry_cap_ms;       /* longest delay between attempts [3600000] */
    int64_t max_age_ms;          /* a delivery failing this long after it was made is dead
                                    [86400000] */
    /* Where a webhook's URL may lead, checked on every address a request connects
     * to (after DNS, so a name that resolves elsewhere later is judged again);
     * copied. NULL: the strict default (no loopback, no private networks). */
    const sg_outbound_policy *policy;
} sg_webhooks_config;

/* Start the worker. master_key opens the webhooks' sealed secrets; it is copied
 * (and wiped at stop). store must outlive the worker. */
sg_err sg_webhooks_start(const sg_webhooks_config *cfg, sg_store *store,
                         const uint8_t master_key[SG_MASTER_KEY_LEN], sg_webhooks **out,
                         sg_error *e);
/* Deliveries are due now: look at once instead of at the next poll. Thread-safe,
 * cheap, NULL is ignored. */
void sg_webhooks_wake(sg_webhooks *w);
/* Stop claiming; wait up to timeout_ms for requests in flight and record their
 * results; abandon the rest (their lease brings them back after a restart); free.
 * NULL is ignored. */
void sg_webhooks_stop(sg_webhooks *w, int timeout_ms);

#endif
