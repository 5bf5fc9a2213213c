/* Process-wide counters for /metrics (Prometheus text format). Lock-free on the
 * hot path: counters are atomics; per-provider counters live in a small fixed
 * table keyed by provider name (a slot is claimed once, under a lock). */
#ifndef SG_UTIL_METRICS_H
#define SG_UTIL_METRICS_H

#include "util/buf.h"

#include <stdint.h>

typedef enum sg_provider_metric {
    SG_M_ACCEPTED = 0, /* messages accepted through the API or CLI for this provider */
    SG_M_SENT,         /* provider took the message */
    SG_M_FAILED,       /* failed for good */
    SG_M_RETRIED,      /* retryable failure, will retry */
    SG_M_SEND_UNKNOWN, /* an error answered to a send that no catalogue row classifies */
    SG_M__PROVIDER_COUNT
} sg_provider_metric;

void sg_metrics_provider_add(const char *provider, sg_provider_metric m, uint64_t n);
/* One HTTP request took us microseconds; status is its HTTP status. */
void sg_metrics_http_observe(int64_t us, int status);

/* A provider webhook was handled. kind: "status" | "inbound"; result: "applied",
 * "ignored" (repeat, late, or not a change), "unknown" (no such message),
 * "forbidden" (signature), "rejected" (malformed), "error" (store). */
void sg_metrics_callback(const char *kind, const char *result);
/* A consent confirmation was not sent (core/reply_limit.h). */
void sg_metrics_consent_reply_limited(void);
/* n early status reports were dropped to keep their provider's share bounded. */
void sg_metrics_early_reports_dropped(uint64_t n);

/* A send refused by a toll-fraud limit. reason: "country_not_allowed" |
 * "daily_quota_exceeded" (others are dropped). */
void sg_metrics_send_refused(const char *reason);
/* A request to a compatible endpoint failed to authenticate
 * (smsgate_compat_auth_failures_total). */
void sg_metrics_compat_auth_failed(void);

/* Gauges the caller samples at scrape time. */
typedef struct sg_metrics_gauges {
    int64_t scheduled, queued, sending; /* from the store */
    int64_t in_flight_sends;            /* dispatcher */
    int64_t in_flight_http;             /* server */
} sg_metrics_gauges;

/* Append the whole exposition to b. */
void sg_metrics_render(sg_buf *b, const sg_metrics_gauges *g);

#endif
