#include "util/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MAX_PROVIDERS 64

typedef struct provider_slot {
    _Atomic int used;
    char name[64];
    _Atomic uint64_t v[SG_M__PROVIDER_COUNT];
} provider_slot;

static provider_slot slots[MAX_PROVIDERS];
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;

/* Upper bounds in seconds, Prometheus' usual latency buckets scaled for an API
 * that should answer in well under a millisecond. */
static const double bucket_le[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                   0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define N_BUCKETS (sizeof bucket_le / sizeof bucket_le[0])
static _Atomic uint64_t http_buckets[N_BUCKETS + 1];
static _Atomic uint64_t http_sum_us;
static _Atomic uint64_t http_by_class[6]; /* 1xx..5xx, index = status / 100 */

static const char *const cb_kinds[] = {"status", "inbound"};
static const char *const cb_results[] = {"applied",   "ignored",  "unknown",
                                         "forbidden", "rejected", "error"};
#define N_CB_KINDS (sizeof cb_kinds / sizeof cb_kinds[0])
#define N_CB_RESULTS (sizeof cb_results / sizeof cb_results[0])
static _Atomic uint64_t callbacks[N_CB_KINDS][N_CB_RESULTS];

static const char *const refused_reasons[] = {"country_not_allowed", "daily_quota_exceeded"};
#define N_REFUSED (sizeof refused_reasons / sizeof refused_reasons[0])
static _Atomic uint64_t refused[N_REFUSED];

void sg_metrics_send_refused(const char *reason)
{
    for (size_t i = 0; i < N_REFUSED; i++) {
        if (strcmp(reason, refused_reasons[i]) == 0)
            atomic_fetch_add_explicit(&refused[i], 1, memory_order_relaxed);
    }
}

static _Atomic uint64_t compat_auth_failures;

void sg_metrics_compat_auth_failed(void)
{
    atomic_fetch_add_explicit(&compat_auth_failures, 1, memory_order_relaxed);
}

static void render_compat(sg_buf *b)
{
    sg_buf_printf(b, "# HELP smsgate_compat_auth_failures_total Requests to the compatible "
                     "endpoints that failed to authenticate.\n"
                     "# TYPE smsgate_compat_auth_failures_total counter\n"
                     "smsgate_compat_auth_failures_total %llu\n",
                  (unsigned long long)atomic_load(&compat_auth_failures));
}

static void render_refused(sg_buf *b)
{
    sg_buf_printf(b, "# HELP smsgate_sends_refused_total Sends refused by a toll-fraud limit, "
                     "by reason.\n# TYPE smsgate_sends_refused_total counter\n");
    for (size_t i = 0; i < N_REFUSED; i++)
        sg_buf_printf(b, "smsgate_sends_refused_total{reason=\"%s\"} %llu\n", refused_reasons[i],
                      (unsigned long long)atomic_load(&refused[i]));
}

void sg_metrics_callback(const char *kind, const char *result)
{
    for (size_t k = 0; k < N_CB_KINDS; k++) {
        if (strcmp(kind, cb_kinds[k]) != 0)
            continue;
        for (size_t r = 0; r < N_CB_RESULTS; r++) {
            if (strcmp(result, cb_results[r]) == 0)
                atomic_fetch_add_explicit(&callbacks[k][r], 1, memory_order_relaxed);
        }
    }
}

/* Callback abuse bounded (issue 11 items 5 and 12). */
static _Atomic uint64_t consent_replies_limited;
static _Atomic uint64_t early_reports_dropped;

void sg_metrics_consent_reply_limited(void)
{
    atomic_fetch_add_explicit(&consent_replies_limited, 1, memory_order_relaxed);
}

void sg_metrics_early_reports_dropped(uint64_t n)
{
    atomic_fetch_add_explicit(&early_reports_dropped, n, memory_order_relaxed);
}

static void render_callback_limits(sg_buf *b)
{
    sg_buf_printf(b,
                  "# HELP smsgate_consent_replies_limited_total Consent confirmations (STOP, "
                  "START, HELP replies) not sent because the number had its share.\n"
                  "# TYPE smsgate_consent_replies_limited_total counter\n"
                  "smsgate_consent_replies_limited_total %llu\n"
                  "# HELP smsgate_early_reports_dropped_total Status reports for unknown "
                  "messages dropped because their provider had too many kept.\n"
                  "# TYPE smsgate_early_reports_dropped_total counter\n"
                  "smsgate_early_reports_dropped_total %llu\n",
                  (unsigned long long)atomic_load(&consent_replies_limited),
                  (unsigned long long)atomic_load(&early_reports_dropped));
}

static provider_slot *slot_for(const char *name)
{
    for (int i = 0; i < MAX_PROVIDERS; i++) {
        if (!atomic_load(&slots[i].used))
            break;
        if (strcmp(slots[i].name, name) == 0)
            return &slots[i];
    }
    pthread_mutex_lock(&slot_lock);
    provider_slot *found = NULL;
    for (int i = 0; i < MAX_PROVIDERS && !found; i++) {
        if (!atomic_load(&slots[i].used)) {
            snprintf(slots[i].name, sizeof slots[i].name, "%s", name);
            atomic_store(&slots[i].used, 1);
            found = &slots[i];
        } else if (strcmp(slots[i].name, name) == 0) {
            found = &slots[i];
        }
    }
    pthread_mutex_unlock(&slot_lock);
    return found; /* NULL when the table is full: the sample is dropped */
}

void sg_metrics_provider_add(const char *provider, sg_provider_metric m, uint64_t n)
{
    provider_slot *s = slot_for(provider && *provider ? provider : "none");
    if (s)
        atomic_fetch_add_explicit(&s->v[m], n, memory_order_relaxed);
}

void sg_metrics_http_observe(int64_t us, int status)
{
    double secs = (double)us / 1e6;
    size_t i = 0;
    while (i < N_BUCKETS && secs > bucket_le[i])
        i++;
    atomic_fetch_add_explicit(&http_buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&http_sum_us, (uint64_t)(us > 0 ? us : 0), memory_order_relaxed);
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        atomic_fetch_add_explicit(&http_by_class[cls], 1, memory_order_relaxed);
}

void sg_metrics_render(sg_buf *b, const sg_metrics_gauges *g)
{
    static const char *const names[SG_M__PROVIDER_COUNT] = {
        "smsgate_messages_accepted_total", "smsgate_messages_sent_total",
        "smsgate_messages_failed_total", "smsgate_messages_retried_total",
        "smsgate_send_unknown_errors_total"};
    static const char *const help[SG_M__PROVIDER_COUNT] = {
        "Messages accepted for sending, by provider.",
        "Messages the provider accepted, by provider.",
        "Messages that failed for good, by provider.",
        "Send attempts that failed and will be retried, by provider.",
        "Errors answered to send requests that no error-code row classifies (send class "
        "provider), by provider."};
    for (int m = 0; m < SG_M__PROVIDER_COUNT; m++) {
        sg_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", names[m], help[m], names[m]);
        for (int i = 0; i < MAX_PROVIDERS && atomic_load(&slots[i].used); i++)
            sg_buf_printf(b, "%s{provider=\"%s\"} %llu\n", names[m], slots[i].name,
                          (unsigned long long)atomic_load(&slots[i].v[m]));
    }
    sg_buf_printf(b,
                  "# HELP smsgate_queue_depth Messages waiting, by status.\n"
                  "# TYPE smsgate_queue_depth gauge\n"
                  "smsgate_queue_depth{status=\"scheduled\"} %lld\n"
                  "smsgate_queue_depth{status=\"queued\"} %lld\n"
                  "smsgate_queue_depth{status=\"sending\"} %lld\n"
                  "# HELP smsgate_sends_in_flight Provider requests in flight.\n"
                  "# TYPE smsgate_sends_in_flight gauge\n"
                  "smsgate_sends_in_flight %lld\n"
                  "# HELP smsgate_http_requests_in_flight HTTP requests being handled.\n"
                  "# TYPE smsgate_http_requests_in_flight gauge\n"
                  "smsgate_http_requests_in_flight %lld\n",
                  (long long)g->scheduled, (long long)g->queued, (long long)g->sending,
                  (long long)g->in_flight_sends, (long long)g->in_flight_http);
    sg_buf_printf(b, "# HELP smsgate_callbacks_total Provider webhooks handled, by kind and "
                     "result.\n# TYPE smsgate_callbacks_total counter\n");
    for (size_t k = 0; k < N_CB_KINDS; k++) {
        for (size_t r = 0; r < N_CB_RESULTS; r++)
            sg_buf_printf(b, "smsgate_callbacks_total{kind=\"%s\",result=\"%s\"} %llu\n",
                          cb_kinds[k], cb_results[r],
                          (unsigned long long)atomic_load(&callbacks[k][r]));
    }
    render_callback_limits(b);
    render_refused(b);
    render_compat(b);
    sg_buf_printf(b, "# HELP smsgate_http_requests_total HTTP requests answered, by status "
                     "class.\n# TYPE smsgate_http_requests_total counter\n");
    for (int c = 1; c <= 5; c++)
        sg_buf_printf(b, "smsgate_http_requests_total{code=\"%dxx\"} %llu\n", c,
                      (unsigned long long)atomic_load(&http_by_class[c]));
    sg_buf_printf(b, "# HELP smsgate_http_request_duration_seconds Time to answer an HTTP "
                     "request.\n# TYPE smsgate_http_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        cum += atomic_load(&http_buckets[i]);
        sg_buf_printf(b, "smsgate_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                      bucket_le[i], (unsigned long long)cum);
    }
    cum += atomic_load(&http_buckets[N_BUCKETS]);
    sg_buf_printf(b,
                  "smsgate_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                  "smsgate_http_request_duration_seconds_sum %.6f\n"
                  "smsgate_http_request_duration_seconds_count %llu\n",
                  (unsigned long long)cum, (double)atomic_load(&http_sum_us) / 1e6,
                  (unsigned long long)cum);
}
