/* The app-webhook worker thread. One loop, like the dispatcher's:
 *
 *   claim due deliveries (no more than there are free request slots, so nothing
 *   claimed ever waits here while its lease runs out)
 *     -> find the webhook (URL, opened secret; cached a few seconds)
 *     -> sign the stored payload, hand the POST to libcurl's multi handle
 *     -> when curl finishes: 2xx delivered, else retry later or give up; the
 *        result is written to the store at once.
 *
 * The response body is never looked at: it is counted and dropped, and a
 * receiver that sends more than RESPONSE_MAX bytes is cut off (its status line
 * still counts). Secrets are held only in the cache and never logged; neither is
 * the URL (it may carry a token), only the webhook's id.
 *
 * Fairness: each webhook has at most cfg.per_webhook requests in flight (the
 * claim asks the store for no more), so a receiver that never answers holds
 * its own few slots until the request timeout, and every other subscriber's
 * deliveries keep flowing through the rest.
 *
 * SSRF: every socket libcurl opens for a delivery is first judged by the
 * outbound policy (policy_check, the request's address hook in
 * util/http_client.h), on the address actually connected to (after DNS, for
 * each address tried), so neither a literal nor a name that resolves to
 * loopback, a private network, link-local or cloud metadata, or smsgate itself
 * gets a request unless the operator allowed it. */
#include "dispatch/webhooks.h"
#include "core/backoff.h"
#include "core/webhook_signature.h"
#include "util/http_client.h"
#include "util/log.h"
#include "util/time.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESPONSE_MAX (64 * 1024)
#define CACHE_SLOTS  64
/* Long enough to read a webhook once per claimed batch, short enough that a deleted
 * webhook gets no request more than a second after its DELETE. */
#define CACHE_TTL_MS 1000
/* When the store cannot tell us about the webhook, try again this much later. */
#define STORE_RETRY_MS 5000

typedef enum hook_state {
    HOOK_OK = 0,
    HOOK_GONE,     /* deleted */
    HOOK_INACTIVE, /* exists but switched off: hold its deliveries */
    HOOK_BROKEN,   /* the secret cannot be opened (another master key?) */
    HOOK_UNKNOWN,  /* the store failed; not cached */
} hook_state;

typedef struct hook {
    char id[SG_ID_MAX];
    char url[512];
    char *secret; /* opened, when HOOK_OK; wiped on release */
    hook_state state;
    int64_t expires; /* monotonic ms */
} hook;

typedef struct job job;
struct job {
    sg_delivery d;
    sg_http_call call; /* the answer is counted and dropped */
    job *prev, *next;  /* in the in-flight list */
};

struct sg_webhooks {
    sg_webhooks_config cfg;
    sg_outbound_policy policy;
    sg_backoff backoff;
    sg_store *store;
    uint8_t key[SG_MASTER_KEY_LEN];
    pthread_t thread;
    _Atomic bool stop;
    _Atomic bool woken;
    /* The last claim left a webhook at its share (more of its deliveries may be
     * due), and a request has finished since: claim again at once. */
    bool capped;
    bool finished_since_claim;
    CURLM *multi;
    job *flying;
    unsigned in_flight;
    int64_t soonest; /* monotonic ms of the earliest retry scheduled here, or INT64_MAX */
    hook cache[CACHE_SLOTS];
    sg_err claim_err; /* the last claim's failure, logged once until it changes */
};

/* ---- webhook cache ------------------------------------------------------------ */

static void hook_release(hook *h)
{
    sg_secret_free(h->secret);
    memset(h, 0, sizeof *h);
}

/* The webhook with that id, from the cache or the store. The pointer is valid
 * until the next lookup. */
static const hook *hook_find(sg_webhooks *w, const char *id)
{
    int64_t now = sg_time_mono_ms();
    hook *slot = &w->cache[0];
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        hook *h = &w->cache[i];
        if (h->id[0] && strcmp(h->id, id) == 0) {
            if (h->expires > now)
                return h;
            slot = h;
            break;
        }
        if (!h->id[0] || h->expires < slot->expires) /* free, or the oldest so far */
            slot = h;
    }
    hook_release(slot);
    snprintf(slot->id, sizeof slot->id, "%s", id);
    slot->expires = now + CACHE_TTL_MS;
    sg_webhook row;
    memset(&row, 0, sizeof row);
    sg_err err = sg_store_webhook_get(w->store, id, &row);
    if (err == SG_ERR_NOT_FOUND) {
        slot->state = HOOK_GONE;
    } else if (err) {
        sg_log(SG_LOG_WARN, "webhook_lookup_failed", "webhook=%s error=\"%s\"", id,
               sg_strerror(err));
        slot->state = HOOK_UNKNOWN;
        slot->expires = 0; /* ask again next time */
    } else {
        snprintf(slot->url, sizeof slot->url, "%s", row.url);
        if (!row.active) {
            slot->state = HOOK_INACTIVE;
        } else if (!row.secret_sealed ||
                   sg_secret_open(w->key, row.secret_sealed, &slot->secret) != SG_OK) {
            sg_log(SG_LOG_ERROR, "webhook_secret_unreadable",
                   "webhook=%s detail=\"the secret cannot be opened with this master key\"", id);
            slot->secret = NULL;
            slot->state = HOOK_BROKEN;
        } else {
            slot->state = HOOK_OK;
        }
        sg_webhook_free(&row);
    }
    return slot;
}

/* ---- results -------------------------------------------------------------------- */

static void record(sg_webhooks *w, const sg_delivery *d, sg_delivery_state st, int status,
                   const char *error, int64_t next)
{
    sg_error e = {0};
    sg_err err = sg_store_delivery_result(w->store, d->id, st, status, error, next, &e);
    if (err)
        sg_log(SG_LOG_ERROR, "webhook_result_lost",
               "delivery=%lld error=\"%s\" detail=\"attempted again when its lease expires\"",
               d->id, e.message[0] ? e.message : sg_strerror(err));
}

/* An attempt failed (HTTP status, or 0 with a transport error): schedule the
 * next one with back-off, or give up once the delivery is older than max_age.
 * The last retry is brought forward to the deadline so that a delivery is tried
 * once more at the end of its life rather than given up early. */
static void failed(sg_webhooks *w, const sg_delivery *d, int status, const char *error,
                   int64_t earliest)
{
    int64_t now = sg_time_now_ms();
    int64_t deadline = d->created_at + w->cfg.max_age_ms;
    unsigned attempts = d->attempts + 1;
    if (now >= deadline) {
        record(w, d, SG_DELIVERY_DEAD, status, error, 0);
        sg_log(SG_LOG_WARN, "webhook_dead",
               "delivery=%lld webhook=%s event=%s attempts=%u http=%d error=\"%s\"", d->id,
               d->webhook_id, d->event, attempts, status, error);
        return;
    }
    int64_t next = now + sg_backoff_delay_ms(&w->backoff, attempts, sg_random_u32());
    if (next < earliest)
        next = earliest;
    if (next > deadline)
        next = deadline;
    record(w, d, SG_DELIVERY_PENDING, status, error, next);
    /* Look again when it is due rather than at the next poll after that. */
    int64_t due = sg_time_mono_ms() + (next - now);
    if (due < w->soonest)
        w->soonest = due;
    sg_log(SG_LOG_INFO, "webhook_retry",
           "delivery=%lld webhook=%s event=%s attempt=%u http=%d error=\"%s\" in_ms=%lld", d->id,
           d->webhook_id, d->event, attempts, status, error, (long long)(next - now));
}

/* ---- requests ------------------------------------------------------------------- */

static void job_free(job *j)
{
    sg_http_call_free(&j->call);
    free(j->d.payload);
    free(j);
}

/* The outbound policy as the request's address hook: NULL to connect, or what the
 * address is. */
static const char *policy_check(void *ctx, const struct sockaddr *addr)
{
    sg_outbound_verdict v = sg_outbound_check_sockaddr(ctx, addr);
    return v == SG_OUTBOUND_OK ? NULL : sg_outbound_reason(v);
}

/* The signed delivery's header lines, into lines (storage: text). */
static bool delivery_headers(const job *j, const char *sig, char text[4][256])
{
    char id[32];
    snprintf(id, sizeof id, "%lld", j->d.id);
    return sg_http_header_line(text[0], 256, "Content-Type", "application/json") == SG_OK &&
           sg_http_header_line(text[1], 256, "Smsgate-Event", j->d.event) == SG_OK &&
           sg_http_header_line(text[2], 256, "Smsgate-Delivery", id) == SG_OK &&
           sg_http_header_line(text[3], 256, "Smsgate-Signature", sig) == SG_OK;
}

/* Sign and start the POST of d (taken over); or record why it cannot be made. */
static void start(sg_webhooks *w, sg_delivery *d)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        free(d->payload);
        d->payload = NULL;
        return; /* the lease brings it back */
    }
    j->d = *d;
    memset(d, 0, sizeof *d);
    const char *body = j->d.payload ? j->d.payload : "";
    const hook *h = hook_find(w, j->d.webhook_id);
    switch (h->state) {
    case HOOK_OK:
        break;
    case HOOK_GONE:
        record(w, &j->d, SG_DELIVERY_DEAD, 0, "webhook deleted", 0);
        sg_log(SG_LOG_INFO, "webhook_dead", "delivery=%lld webhook=%s error=\"webhook deleted\"",
               j->d.id, j->d.webhook_id);
        job_free(j);
        return;
    case HOOK_INACTIVE:
        failed(w, &j->d, 0, "webhook inactive", sg_time_now_ms() + 60000);
        job_free(j);
        return;
    case HOOK_BROKEN:
        failed(w, &j->d, 0, "cannot open the webhook's secret", 0);
        job_free(j);
        return;
    case HOOK_UNKNOWN:
        failed(w, &j->d, 0, "cannot read the webhook from the store",
               sg_time_now_ms() + STORE_RETRY_MS);
        job_free(j);
        return;
    }
    char sig[SG_WEBHOOK_SIG_MAX], text[4][256];
    const char *lines[4] = {text[0], text[1], text[2], text[3]};
    /* No proxy from the environment (implied by the address hook): the policy must
     * judge the receiver itself. The receiver's answer is counted, never kept. */
    sg_http_request r = {
        .method = "POST",
        .url = h->url,
        .headers = lines,
        .n_headers = 4,
        .body = body,
        .body_len = strlen(body),
        .connect_timeout_ms = (long)w->cfg.connect_timeout_ms,
        .timeout_ms = (long)w->cfg.request_timeout_ms,
        .user_agent = "smsgate-webhooks/0.1",
        .tcp_keepalive = true,
        .answer_max = RESPONSE_MAX,
        .answer_discard = true,
        .answer_overflow = SG_HTTP_OVERFLOW_FAIL,
        .addr_check = policy_check,
        .addr_ctx = &w->policy,
        .owner = j,
    };
    sg_error e = {0};
    bool ok = sg_webhook_sign(h->secret, sg_time_now_ms() / 1000, body, strlen(body), sig) &&
              delivery_headers(j, sig, text) && sg_http_call_init(&j->call, NULL, &r, &e) == SG_OK;
    if (!ok) {
        failed(w, &j->d, 0, "cannot build the request", sg_time_now_ms() + STORE_RETRY_MS);
        job_free(j);
        return;
    }
    if (curl_multi_add_handle(w->multi, j->call.easy) != CURLM_OK) {
        failed(w, &j->d, 0, "cannot start the request", sg_time_now_ms() + STORE_RETRY_MS);
        job_free(j);
        return;
    }
    w->in_flight++;
    j->next = w->flying;
    if (w->flying)
        w->flying->prev = j;
    w->flying = j;
}

static void unlink_job(sg_webhooks *w, job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        w->flying = j->next;
    if (j->next)
        j->next->prev = j->prev;
    j->prev = j->next = NULL;
    w->in_flight--;
    curl_multi_remove_handle(w->multi, j->call.easy);
}

static void finish(sg_webhooks *w, job *j, CURLcode rc)
{
    unlink_job(w, j);
    w->finished_since_claim = true;
    long status = sg_http_call_status(&j->call);
    char error[256] = "";
    /* Cut off for talking too much: the status line still says how it went. */
    bool cut_off = rc == CURLE_WRITE_ERROR && j->call.answer.over && status;
    if (rc != CURLE_OK && j->call.refused) {
        status = 0;
        sg_http_call_error(&j->call, rc, error, sizeof error);
        sg_log(SG_LOG_WARN, "webhook_refused", "delivery=%lld webhook=%s reason=\"%s\"", j->d.id,
               j->d.webhook_id, j->call.refused);
    } else if (rc != CURLE_OK && !cut_off) {
        status = 0;
        sg_http_call_error(&j->call, rc, error, sizeof error);
    } else if (status >= 300 && status < 400) {
        snprintf(error, sizeof error, "redirects are not followed");
    }
    if (status >= 200 && status < 300) {
        record(w, &j->d, SG_DELIVERY_DELIVERED, (int)status, "", 0);
        sg_log(SG_LOG_INFO, "webhook_delivered",
               "delivery=%lld webhook=%s event=%s attempt=%u http=%ld", j->d.id, j->d.webhook_id,
               j->d.event, j->d.attempts + 1, status);
    } else {
        failed(w, &j->d, (int)status, error, 0);
    }
    job_free(j);
}

static void drain(sg_webhooks *w)
{
    int left;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(w->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        job *j = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        if (j)
            finish(w, j, msg->data.result);
    }
}

/* ---- the thread ----------------------------------------------------------------- */

/* Count the requests in flight per webhook into busy (at most cap webhooks,
 * which is max_in_flight: there cannot be more). */
static size_t busy_counts(const sg_webhooks *w, sg_delivery_busy *busy, size_t cap)
{
    size_t n = 0;
    for (const job *j = w->flying; j; j = j->next) {
        size_t i = 0;
        while (i < n && strcmp(busy[i].webhook_id, j->d.webhook_id) != 0)
            i++;
        if (i == n) {
            if (n == cap)
                continue;
            busy[n++] = (sg_delivery_busy){j->d.webhook_id, 0};
        }
        busy[i].in_flight++;
    }
    return n;
}

/* Claim what is due (within the free slots and each webhook's share) and start it. */
static size_t claim_and_start(sg_webhooks *w, size_t want)
{
    sg_delivery_busy *busy = calloc(w->cfg.max_in_flight, sizeof *busy);
    if (!busy)
        return 0;
    size_t n_busy = busy_counts(w, busy, w->cfg.max_in_flight);
    sg_delivery *ds = NULL;
    size_t n = 0;
    sg_err err = sg_store_delivery_claim(w->store, sg_time_now_ms(), want, w->cfg.per_webhook,
                                         busy, n_busy, w->cfg.lease_ms, &ds, &n);
    if (err && err != w->claim_err) /* once, not every poll (a backend without it) */
        sg_log(SG_LOG_WARN, "webhook_claim_failed", "error=\"%s\"", sg_strerror(err));
    w->claim_err = err;
    if (err)
        n = 0;
    for (size_t i = 0; i < n; i++)
        start(w, &ds[i]);
    free(ds);
    /* Is some webhook now at its share? (Its further due deliveries wait.) */
    w->capped = false;
    n_busy = busy_counts(w, busy, w->cfg.max_in_flight);
    for (size_t i = 0; i < n_busy; i++)
        w->capped = w->capped || busy[i].in_flight >= w->cfg.per_webhook;
    free(busy);
    w->finished_since_claim = false;
    return n;
}

static void *webhooks_main(void *arg)
{
    sg_webhooks *w = arg;
    pthread_setname_np(pthread_self(), "sg-webhooks");
    int64_t next_poll = 0;
    bool last_full = false;
    while (!atomic_load(&w->stop)) {
        int64_t now = sg_time_mono_ms();
        bool woken = atomic_exchange(&w->woken, false);
        unsigned free_slots = w->cfg.max_in_flight - w->in_flight;
        bool again = last_full || (w->capped && w->finished_since_claim);
        if (free_slots && (woken || again || now >= next_poll || now >= w->soonest)) {
            w->soonest = INT64_MAX;
            size_t want = free_slots < w->cfg.batch ? free_slots : w->cfg.batch;
            size_t n = claim_and_start(w, want);
            last_full = n == want && n > 0;
            next_poll = now + w->cfg.poll_ms;
        }
        int running;
        curl_multi_perform(w->multi, &running);
        drain(w);

        /* Sleep until the next poll, a socket or curl timer needs us, or a wake-up;
         * with every slot busy only a completion (or the poll interval) matters. */
        int64_t timeout;
        if (w->in_flight >= w->cfg.max_in_flight)
            timeout = w->cfg.poll_ms;
        else if (last_full || (w->capped && w->finished_since_claim))
            timeout = 0;
        else
            timeout = (next_poll < w->soonest ? next_poll : w->soonest) - sg_time_mono_ms();
        if (timeout > 0)
            curl_multi_poll(w->multi, NULL, 0, (int)timeout, NULL);
        curl_multi_perform(w->multi, &running);
        drain(w);
    }
    return NULL;
}

sg_err sg_webhooks_start(const sg_webhooks_config *cfg, sg_store *store,
                         const uint8_t master_key[SG_MASTER_KEY_LEN], sg_webhooks **out,
                         sg_error *e)
{
    sg_webhooks *w = calloc(1, sizeof *w);
    if (!w)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    w->cfg = *cfg;
    sg_webhooks_config *c = &w->cfg;
    if (!c->max_in_flight)
        c->max_in_flight = 64;
    if (!c->batch)
        c->batch = 64;
    if (c->lease_ms <= 0)
        c->lease_ms = 60000;
    if (!c->per_webhook)
        c->per_webhook = 8;
    if (!c->connect_timeout_ms)
        c->connect_timeout_ms = 3000;
    if (!c->request_timeout_ms)
        c->request_timeout_ms = 10000;
    if (!c->poll_ms)
        c->poll_ms = 500;
    if (!c->retry_base_ms)
        c->retry_base_ms = 10000;
    if (!c->retry_cap_ms)
        c->retry_cap_ms = 3600000;
    if (c->max_age_ms <= 0)
        c->max_age_ms = 86400000;
    if ((int64_t)c->request_timeout_ms >= c->lease_ms)
        c->lease_ms = (int64_t)c->request_timeout_ms * 2; /* never claimed twice in flight */
    if (c->policy)
        w->policy = *c->policy;
    c->policy = NULL; /* w->policy is the copy in use */
    w->backoff = (sg_backoff){c->retry_base_ms, c->retry_cap_ms, 0};
    w->store = store;
    w->soonest = INT64_MAX;
    memcpy(w->key, master_key, SG_MASTER_KEY_LEN);
    w->multi = curl_multi_init();
    if (!w->multi) {
        sodium_memzero(w->key, sizeof w->key);
        free(w);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "cannot create the curl multi handle");
    }
    curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, (long)c->max_in_flight);
    if (pthread_create(&w->thread, NULL, webhooks_main, w) != 0) {
        curl_multi_cleanup(w->multi);
        sodium_memzero(w->key, sizeof w->key);
        free(w);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the webhook thread");
    }
    *out = w;
    return SG_OK;
}

void sg_webhooks_wake(sg_webhooks *w)
{
    if (!w)
        return;
    if (!atomic_exchange(&w->woken, true))
        curl_multi_wakeup(w->multi);
}

void sg_webhooks_stop(sg_webhooks *w, int timeout_ms)
{
    if (!w)
        return;
    atomic_store(&w->stop, true);
    curl_multi_wakeup(w->multi);
    pthread_join(w->thread, NULL);
    /* Let requests in flight finish, so their result is known and recorded. */
    int64_t deadline = sg_time_mono_ms() + timeout_ms;
    while (w->in_flight > 0 && sg_time_mono_ms() < deadline) {
        int running;
        curl_multi_poll(w->multi, NULL, 0, 50, NULL);
        curl_multi_perform(w->multi, &running);
        drain(w);
    }
    if (w->in_flight)
        sg_log(SG_LOG_WARN, "webhooks_abandoned",
               "in_flight=%u detail=\"attempted again when their lease expires\"", w->in_flight);
    while (w->flying) {
        job *j = w->flying;
        unlink_job(w, j);
        job_free(j);
    }
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        hook_release(&w->cache[i]);
    curl_multi_cleanup(w->multi);
    sodium_memzero(w->key, sizeof w->key);
    free(w);
}
