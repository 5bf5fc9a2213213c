/* The dispatcher thread. One loop, no locks on the hot path:
 *
 *   take messages from the inbox: sends claimed at insert (the API reserved room
 *   here, the writer committed them as "sending" under a lease, and handed them
 *   over), and the answers of claims (due messages taken from the store in a
 *   batch, under a lease; asked for without waiting for the answer)
 *     -> pick the sender, queue behind that sender's token bucket
 *     -> when a token is there: build the request with the driver, hand it to
 *        libcurl's multi handle (kept-alive connections, many in flight)
 *     -> when curl finishes: the driver classifies the answer; the outcome is
 *        buffered and written to the store in one group per loop turn.
 *
 * A message held here longer than its lease would be claimed again, so a sender
 * whose queue is already longer than a quarter of the lease gets new messages
 * released straight back to the store, due when the bucket will have room. */
#include "dispatch/dispatcher.h"
#include "dispatch/nodes.h"
#include "core/ratelimit.h"
#include "dispatch/routing.h"
#include "core/sender.h"
#include "providers/send_class.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/http_client.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/time.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESPONSE_MAX (64 * 1024)

typedef struct bucket bucket;
typedef struct send_job send_job;

struct send_job {
    sg_message msg;
    sg_provider_set *set; /* reference held while the job lives */
    const sg_provider *prov;
    char from[SG_FROM_MAX];
    bucket *bucket;
    sg_prov_request preq;
    sg_http_call call; /* call.easy is NULL when no request is in flight */
    bool looking_up;   /* the request in flight asks the provider whether it has the message */
    bool lookup_done;  /* asked already (or cannot ask) */
    send_job *next;    /* in a bucket's queue */
    send_job *fl_prev, *fl_next; /* in the in-flight list */
    /* When this attempt was started (ms, wall clock). */
    int64_t started_at;
    /* The send class of this attempt's answer (providers/send_class.h); UNSET
     * until an attempt has ended. Recorded on the outcome's event. */
    sg_sendclass send_class;
    /* The lookup in flight was asked before failing over (the attempt's outcome
     * was unknown): its answer decides between sent, failover and retry. */
    bool failover_lookup;
    sg_prov_result last; /* the failed attempt's answer, while that lookup runs */
    long last_status;
    char note[200]; /* added to the outcome's event (sg_outcome.note) */
    /* The circuit breaker's ticket for the send in flight (0: none held). Given
     * back by job_free unless the answer was recorded. */
    uint32_t breaker_ticket;
};

struct bucket {
    char key[SG_ID_MAX + SG_FROM_MAX + 2]; /* provider id '/' sender */
    sg_bucket tb;
    double rate;
    send_job *head, *tail;
    size_t waiting;
    bucket *next;
};

struct sg_dispatcher {
    sg_dispatch_config cfg;
    size_t max_held; /* messages this dispatcher answers for at most */
    /* Messages answered for: reserved by the API, in the inbox, waiting behind a
     * bucket or in flight. */
    _Atomic long owned;
    /* Messages handed over by other threads (committed sends, claim answers). */
    pthread_mutex_t inbox_lock;
    sg_message *inbox;
    size_t n_inbox, cap_inbox;
    _Atomic bool inbox_signaled; /* a wakeup is pending for the inbox */
    _Atomic bool claim_busy;     /* a claim is queued at the store */
    _Atomic int claim_err;       /* the last claim's sg_err (logged when it changes) */
    _Atomic bool claim_full;     /* the last claim got all it asked for */
    size_t claim_want;
    char public_url[256];
    sg_store *store;
    sg_registry *reg;
    pthread_t thread;
    _Atomic bool stop;
    _Atomic bool woken;
    _Atomic long in_flight;
    _Atomic long live_nodes; /* nodes sharing each sender's mps (at least 1) */
    _Atomic int64_t sent;    /* messages its providers accepted (the node's count) */
    CURLM *multi;
    bucket *buckets;
    send_job *flying; /* requests handed to curl */
    size_t waiting;   /* jobs queued behind buckets */
    CURL **idle_easy;
    size_t n_idle;
    sg_outcome *out;
    size_t n_out, cap_out;
};

/* ---- outcomes ------------------------------------------------------------------ */

static sg_outcome *outcome_add_for(sg_dispatcher *d, const char *id, const char *from,
                                   sg_outcome_kind kind)
{
    if (d->n_out == d->cap_out) {
        size_t cap = d->cap_out ? d->cap_out * 2 : 256;
        sg_outcome *p = realloc(d->out, cap * sizeof *p);
        if (!p)
            return NULL; /* the lease brings the message back */
        d->out = p;
        d->cap_out = cap;
    }
    sg_outcome *o = &d->out[d->n_out++];
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", id);
    snprintf(o->from, sizeof o->from, "%s", from);
    o->kind = kind;
    o->at = sg_time_now_ms();
    return o;
}

static sg_outcome *outcome_add(sg_dispatcher *d, const send_job *j, sg_outcome_kind kind)
{
    sg_outcome *o = outcome_add_for(d, j->msg.id, j->from, kind);
    if (o && j->send_class != SG_SENDCLASS_UNSET && kind != SG_OUTCOME_SENT)
        o->send_class = sg_sendclass_name(j->send_class);
    if (o && j->note[0])
        memcpy(o->note, j->note, sizeof o->note);
    return o;
}

static void outcomes_flush(sg_dispatcher *d)
{
    if (!d->n_out)
        return;
    sg_err err = sg_store_outcomes(d->store, d->out, d->n_out, NULL, NULL);
    if (err)
        sg_log(SG_LOG_ERROR, "outcomes_lost",
               "count=%zu error=\"%s\" detail=\"messages come "
               "back when their lease expires\"",
               d->n_out, sg_strerror(err));
    d->n_out = 0;
}

/* ---- jobs -------------------------------------------------------------------------- */

/* Give back the job's request: its curl handle (to the idle pool, so its
 * connection stays open), headers, provider request and answer. */
static void job_reset_request(sg_dispatcher *d, send_job *j)
{
    CURL *easy = sg_http_call_release(&j->call);
    if (easy) {
        CURL **p = realloc(d->idle_easy, (d->n_idle + 1) * sizeof *p);
        if (p) {
            d->idle_easy = p;
            d->idle_easy[d->n_idle++] = easy;
        } else {
            curl_easy_cleanup(easy);
        }
    }
    sg_prov_request_free(&j->preq);
}

static void job_free(sg_dispatcher *d, send_job *j)
{
    atomic_fetch_sub(&d->owned, 1);
    if (j->breaker_ticket)
        sg_breakers_cancel(d->cfg.breakers, j->prov->id, j->breaker_ticket);
    job_reset_request(d, j);
    sg_message_free(&j->msg);
    if (j->set)
        sg_registry_release(d->reg, j->set);
    free(j);
}

static void release_job(sg_dispatcher *d, send_job *j, int64_t due, const char *why)
{
    sg_outcome *o = outcome_add(d, j, SG_OUTCOME_RELEASE);
    if (o) {
        o->from[0] = '\0';
        o->retry_at = due;
        snprintf(o->error_message, sizeof o->error_message, "%s", why);
    }
    job_free(d, j);
}

/* The sender's bucket: this node's share of the provider's mps (the account's
 * limit holds for the cluster: sg_nodes_share, dispatch/nodes.h). */
static bucket *bucket_for(sg_dispatcher *d, const sg_provider *p, const char *from)
{
    char key[sizeof((bucket *)0)->key];
    snprintf(key, sizeof key, "%s/%s", p->id, from);
    double rate = sg_nodes_share(p->mps, (size_t)atomic_load(&d->live_nodes));
    for (bucket *b = d->buckets; b; b = b->next) {
        if (strcmp(b->key, key) == 0) {
            if (b->rate != rate) { /* the provider was edited, or nodes came or went */
                b->rate = rate;
                sg_bucket_init(&b->tb, rate, rate < 1 ? 1 : rate, sg_time_mono_ms());
            }
            return b;
        }
    }
    bucket *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    snprintf(b->key, sizeof b->key, "%s", key);
    b->rate = rate;
    sg_bucket_init(&b->tb, rate, rate < 1 ? 1 : rate, sg_time_mono_ms());
    b->next = d->buckets;
    d->buckets = b;
    return b;
}

static void fail_job(sg_dispatcher *d, send_job *j, const char *code, const char *message,
                     bool opted_out)
{
    sg_outcome *o = outcome_add(d, j, SG_OUTCOME_FAILED);
    if (o) {
        o->opt_out = opted_out;
        snprintf(o->error_code, sizeof o->error_code, "%s", code);
        snprintf(o->error_message, sizeof o->error_message, "%s", message);
    }
    sg_metrics_provider_add(j->prov ? j->prov->name : "none", SG_M_FAILED, 1);
    job_free(d, j);
}

/* Stop trying: fail the message with smsgate's code for verdict v, the
 * provider's last error (may be NULL) at the end of the message. s is NULL when
 * the message expired before this attempt was made (it does not count as one). */
static void give_up(sg_dispatcher *d, send_job *j, sg_retry_verdict v, const sg_retry_state *s,
                    const sg_prov_result *last)
{
    char last_error[SG_ERROR_CODE_MAX + 260] = "";
    char message[sizeof((sg_outcome *)0)->error_message];
    if (last)
        snprintf(last_error, sizeof last_error, "%s%s%s", last->error_code,
                 last->error_code[0] ? " " : "", last->error_message);
    sg_retry_state none = {0};
    int64_t validity_s = sg_validity_seconds(j->msg.created_at, j->msg.send_at, j->msg.expires_at);
    const char *code =
        sg_retry_give_up(v, s ? s : &none, validity_s, last_error, message, sizeof message);
    sg_log(SG_LOG_INFO, "send_given_up", "id=%s provider=%s code=%s attempts=%u", j->msg.id,
           j->prov->name, code, s ? s->attempts : j->msg.attempts);
    sg_outcome *o = outcome_add(d, j, SG_OUTCOME_FAILED);
    if (o) {
        o->unsent = s == NULL;
        snprintf(o->error_code, sizeof o->error_code, "%s", code);
        snprintf(o->error_message, sizeof o->error_message, "%s", message);
    }
    sg_metrics_provider_add(j->prov->name, SG_M_FAILED, 1);
    job_free(d, j);
}

/* The message as the driver sees it; callback is the status URL's storage. */
static sg_prov_message prov_message(sg_dispatcher *d, send_job *j, char callback[512])
{
    sg_prov_message pm = {
        .id = j->msg.id,
        .to = j->msg.to,
        .from = j->from[0] ? j->from : NULL,
        .body = j->msg.body,
        .status_callback = NULL,
    };
    if (j->prov->common.status_callback_url[0]) { /* the provider's override */
        snprintf(callback, 512, "%s", j->prov->common.status_callback_url);
        pm.status_callback = callback;
    } else if (d->public_url[0] &&
               sg_provider_callback_url(j->prov, d->public_url, "status", false, callback, 512))
        pm.status_callback = callback;
    return pm;
}

/* Configure the job's curl handle (from the idle pool when there is one) for the
 * request the driver built. The provider's own URL is not judged by the outbound
 * policy (an operator configured it); proxies from the environment apply. */
static sg_err start_request(sg_dispatcher *d, send_job *j, sg_error *e)
{
    sg_http_request r = {
        .method = strcmp(j->preq.method, "POST") == 0 ? "POST" : "GET",
        .url = j->preq.url,
        .headers = (const char *const *)j->preq.headers,
        .n_headers = j->preq.n_headers,
        .body = strcmp(j->preq.method, "POST") == 0 ? j->preq.body : NULL,
        .body_len = j->preq.body_len,
        .connect_timeout_ms = (long)d->cfg.connect_timeout_ms,
        .timeout_ms = (long)d->cfg.request_timeout_ms,
        .user_agent = "smsgate/0.1",
        .tcp_keepalive = true,
        .answer_max = RESPONSE_MAX,
        .answer_overflow = SG_HTTP_OVERFLOW_FAIL,
        .owner = j,
    };
    CURL *idle = d->n_idle ? d->idle_easy[--d->n_idle] : NULL;
    return sg_http_call_init(&j->call, idle, &r, e);
}

static void launch(sg_dispatcher *d, send_job *j);
/* Ask the provider's circuit breaker whether this send may go (dispatch/breakers.h).
 * Not now: the message goes back to the queue, due when a probe may go; it is
 * neither sent nor failed (docs/routing.md, "Circuit breakers"). */
static bool admit(sg_dispatcher *d, send_job *j)
{
    int64_t retry_at = 0;
    int64_t now = sg_time_now_ms();
    j->breaker_ticket = sg_breakers_admit(d->cfg.breakers, j->prov->id, j->prov->name, now,
                                          &retry_at);
    if (j->breaker_ticket)
        return true;
    release_job(d, j, retry_at, "the provider's circuit breaker is open; waiting");
    return false;
}

/* Build the provider request and hand it to curl. A message claimed again (its
 * lease expired, or taken back at start: smsgate stopped mid-send) is first looked
 * for at the provider when the driver can ask (finish_lookup). */
static void start_job(sg_dispatcher *d, send_job *j)
{
    char callback[512];
    sg_prov_message pm = prov_message(d, j, callback);
    sg_error e = {0};
    const sg_provider_kind *k = j->prov->kind;
    if ((j->msg.reclaimed || j->msg.outcome_unknown) && !j->lookup_done && k->build_lookup &&
        k->parse_lookup) {
        j->lookup_done = true;
        j->looking_up =
            k->build_lookup(j->prov->cfg, &pm, j->msg.created_at, &j->preq, &e) == SG_OK;
    }
    if (!j->looking_up && sg_validity_expired(j->msg.expires_at, sg_time_now_ms())) {
        give_up(d, j, SG_RETRY_EXPIRED, NULL, NULL);
        return;
    }
    if (!j->looking_up && !admit(d, j))
        return;
    if (!j->looking_up && k->build_send(j->prov->cfg, &pm, &j->preq, &e) != SG_OK) {
        fail_job(d, j, "", e.message[0] ? e.message : "cannot build the provider request", false);
        return;
    }
    launch(d, j);
}

/* Hand the request built in j->preq to curl; a job that cannot be started is
 * failed (a request the driver built wrongly) or released (out of memory). */
static void launch(sg_dispatcher *d, send_job *j)
{
    sg_error e = {0};
    sg_err err = start_request(d, j, &e);
    if (err == SG_ERR_INVALID) { /* a header line the driver built holds a line break */
        fail_job(d, j, "", e.message, false);
        return;
    }
    if (err) {
        release_job(d, j, sg_time_now_ms() + 1000, "out of memory");
        return;
    }
    if (curl_multi_add_handle(d->multi, j->call.easy) != CURLM_OK) {
        release_job(d, j, sg_time_now_ms() + 1000, "cannot start the request");
        return;
    }
    atomic_fetch_add(&d->in_flight, 1);
    j->fl_next = d->flying;
    if (d->flying)
        d->flying->fl_prev = j;
    d->flying = j;
}

static void unlink_flying(sg_dispatcher *d, send_job *j)
{
    if (j->fl_prev)
        j->fl_prev->fl_next = j->fl_next;
    else
        d->flying = j->fl_next;
    if (j->fl_next)
        j->fl_next->fl_prev = j->fl_prev;
    j->fl_prev = j->fl_next = NULL;
    atomic_fetch_sub(&d->in_flight, 1);
    curl_multi_remove_handle(d->multi, j->call.easy);
}

/* Put a claimed message behind its sender's bucket (or straight back). */
static void route_job(sg_dispatcher *d, sg_message *m)
{
    send_job *j = calloc(1, sizeof *j);
    if (!j) {
        sg_message_free(m);
        atomic_fetch_sub(&d->owned, 1);
        return; /* the lease brings it back */
    }
    j->msg = *m;
    memset(m, 0, sizeof *m);
    j->set = sg_registry_get(d->reg);
    j->prov = sg_provider_set_find(j->set, j->msg.provider_id);
    if (!j->prov) {
        /* Added since the snapshot (`smsgate provider add` then a send, on the same
         * database, within the registry's 250 ms): load the store's providers now
         * rather than fail the message. */
        sg_registry_release(d->reg, j->set);
        sg_registry_invalidate(d->reg);
        j->set = sg_registry_get(d->reg);
        j->prov = sg_provider_set_find(j->set, j->msg.provider_id);
    }
    int64_t now = sg_time_now_ms();
    if (!j->prov) {
        fail_job(d, j, "", "the message's provider no longer exists", false);
        return;
    }
    if (!j->prov->active || j->prov->broken) {
        release_job(d, j, now + 30000,
                    j->prov->broken ? "provider unusable; waiting" : "provider inactive; waiting");
        return;
    }
    if (!sg_breakers_usable(d->cfg.breakers, j->prov->id, now)) {
        sg_breaker_health h;
        sg_breakers_health(d->cfg.breakers, j->prov->id, now, &h);
        int64_t due = h.next_probe_at > now ? h.next_probe_at : now + SG_BREAKER_PROBE_WAIT_MS;
        release_job(d, j, due, "the provider's circuit breaker is open; waiting");
        return;
    }
    if (j->msg.from[0]) {
        snprintf(j->from, sizeof j->from, "%s", j->msg.from);
    } else {
        const char *const *senders;
        size_t n = j->prov->kind->senders(j->prov->cfg, &senders);
        if (n)
            snprintf(j->from, sizeof j->from, "%s", senders[sg_sender_pick(j->msg.to, n)]);
    }
    bucket *b = bucket_for(d, j->prov, j->from);
    if (!b) {
        release_job(d, j, now + 1000, "out of memory");
        return;
    }
    /* Expected wait behind this sender, in ms. */
    double wait_ms = (double)b->waiting * 1000.0 / b->rate;
    if (wait_ms > (double)d->cfg.lease_ms / 4) {
        release_job(d, j, now + (int64_t)wait_ms, "waiting for the sender's rate limit");
        return;
    }
    j->bucket = b;
    if (b->tail)
        b->tail->next = j;
    else
        b->head = j;
    b->tail = j;
    b->waiting++;
    d->waiting++;
}

/* Start every job whose bucket has a token; returns ms until the next token is
 * due for a bucket that still has jobs waiting (-1 if none wait). */
static int64_t start_ready(sg_dispatcher *d)
{
    int64_t now = sg_time_mono_ms();
    int64_t next = -1;
    for (bucket *b = d->buckets; b; b = b->next) {
        while (b->head && (long)atomic_load(&d->in_flight) < (long)d->cfg.max_in_flight &&
               sg_bucket_take(&b->tb, now)) {
            send_job *j = b->head;
            b->head = j->next;
            if (!b->head)
                b->tail = NULL;
            j->next = NULL;
            b->waiting--;
            d->waiting--;
            j->started_at = sg_time_now_ms();
            start_job(d, j);
        }
        if (b->head) {
            int64_t w = sg_bucket_wait_ms(&b->tb, now);
            if (next < 0 || w < next)
                next = w;
        }
    }
    return next;
}

/* Whether a send like j's (same provider, recipient and body) is in flight: the
 * provider may already list it while its id is not recorded yet, so a lookup
 * cannot tell it from j's own earlier send. */
static bool like_in_flight(const sg_dispatcher *d, const send_job *j)
{
    for (const send_job *f = d->flying; f; f = f->fl_next)
        if (f != j && !f->looking_up && strcmp(f->msg.provider_id, j->msg.provider_id) == 0 &&
            strcmp(f->msg.to, j->msg.to) == 0 && strcmp(f->msg.body, j->msg.body) == 0)
            return true;
    return false;
}

/* Writer thread: count a message the store found sent (arg: the provider's name,
 * malloc'd; the dispatcher may be gone by now). */
static void on_found(void *arg, bool attributed, sg_err err)
{
    if (attributed && !err)
        sg_metrics_provider_add(arg, SG_M_SENT, 1);
    free(arg);
}

/* The provider lists messages like j: the store gives j the first one no other
 * message holds (sent), or queues j to be sent now when all are held. The
 * outcomes buffered so far go first, so the ids they record count as held. */
static void found_by_lookup(sg_dispatcher *d, send_job *j, const sg_lookup_matches *found)
{
    outcomes_flush(d);
    sg_outcome o;
    memset(&o, 0, sizeof o);
    snprintf(o.id, sizeof o.id, "%s", j->msg.id);
    snprintf(o.from, sizeof o.from, "%s", j->from);
    o.at = sg_time_now_ms();
    char *name = strdup(j->prov->name);
    sg_err err = name ? sg_store_outcome_found(d->store, &o, found->ids, found->n, on_found, name)
                      : SG_ERR_NOMEM;
    if (err) {
        free(name);
        sg_log(SG_LOG_ERROR, "outcomes_lost",
               "count=1 error=\"%s\" detail=\"the message comes back when its lease expires\"",
               sg_strerror(err));
    }
    job_free(d, j);
}

static void after_failover_lookup(sg_dispatcher *d, send_job *j);

/* The answer to a lookup. Found: the store decides whether one of the provider's
 * messages is this one (found_by_lookup). Not found, no answer to trust, or a
 * send like it in flight: the message is sent now (a duplicate is possible where
 * the provider cannot tell; a loss is not). */
static void finish_lookup(sg_dispatcher *d, send_job *j, CURLcode rc)
{
    j->looking_up = false;
    long status = 0;
    sg_lookup_matches found = {0};
    sg_lookup_outcome lo = SG_LOOKUP_UNKNOWN;
    if (rc == CURLE_OK) {
        char callback[512];
        sg_prov_message pm = prov_message(d, j, callback);
        status = sg_http_call_status(&j->call);
        lo = j->prov->kind->parse_lookup(j->prov->cfg, &pm, j->msg.created_at, status,
                                         sg_http_body_data(&j->call.answer),
                                         sg_http_body_len(&j->call.answer), &found);
    }
    bool ambiguous = lo == SG_LOOKUP_FOUND && like_in_flight(d, j);
    sg_log(SG_LOG_INFO, "send_lookup", "id=%s provider=%s http=%ld result=%s candidates=%zu",
           j->msg.id, j->prov->name, status,
           ambiguous                   ? "ambiguous"
           : lo == SG_LOOKUP_FOUND     ? "found"
           : lo == SG_LOOKUP_NOT_FOUND ? "not_found"
                                       : "unknown",
           found.n);
    if (lo == SG_LOOKUP_FOUND && !ambiguous) {
        found_by_lookup(d, j, &found);
        return;
    }
    if (lo == SG_LOOKUP_NOT_FOUND) /* the provider does not have it: sending again is safe */
        j->msg.outcome_unknown = false;
    job_reset_request(d, j);
    if (j->failover_lookup) {
        after_failover_lookup(d, j);
        return;
    }
    start_job(d, j);
}

static bool try_failover(sg_dispatcher *d, send_job *j, const sg_prov_result *res, long status);

/* A retryable failure: back to the queue after the back-off delay while the
 * provider's retry budget (from the message's first attempt), --max-attempts and
 * the message's validity allow it (core/backoff.h); failed otherwise. */
static void retry_job(sg_dispatcher *d, send_job *j, const sg_prov_result *res, long status)
{
    int64_t now = sg_time_now_ms();
    int64_t first = j->msg.first_attempt_at > 0 ? j->msg.first_attempt_at
                    : j->started_at > 0         ? j->started_at
                                                : now;
    sg_retry_state s = {
        .attempts = j->msg.attempts + 1,
        .first_attempt_at = first,
        .budget_ms = j->prov->retry_for_ms,
        .expires_at = j->msg.expires_at,
        .now = now,
    };
    int64_t retry_at = 0;
    sg_retry_verdict v = sg_retry_decide(&d->cfg.backoff, &s, sg_random_u32(), &retry_at);
    if (v != SG_RETRY_AGAIN && v != SG_RETRY_EXPIRED && try_failover(d, j, res, status))
        return; /* the retries on this provider are spent: the next one of the route */
    if (v != SG_RETRY_AGAIN) {
        give_up(d, j, v, &s, res);
        return;
    }
    sg_outcome *o = outcome_add(d, j, SG_OUTCOME_RETRY);
    if (o) {
        o->from[0] = '\0';
        o->retry_at = retry_at;
        o->first_attempt_at = s.first_attempt_at;
        o->outcome_unknown = j->msg.outcome_unknown;
        snprintf(o->error_code, sizeof o->error_code, "%s", res->error_code);
        snprintf(o->error_message, sizeof o->error_message, "%s", res->error_message);
    }
    sg_metrics_provider_add(j->prov->name, SG_M_RETRIED, 1);
    sg_log(SG_LOG_INFO, "send_retry", "id=%s provider=%s attempt=%u http=%ld code=%s class=%s",
           j->msg.id, j->prov->name, s.attempts, status, res->error_code[0] ? res->error_code : "-",
           sg_sendclass_name(j->send_class));
    job_free(d, j);
}

/* The transport errors after which the provider never saw the request: no
 * connection was made. Any other error (a timeout, a connection broken
 * mid-answer, an answer too large) may have reached it. */
static const CURLcode not_sent_errors[] = {
    CURLE_COULDNT_CONNECT,   CURLE_COULDNT_RESOLVE_HOST,     CURLE_COULDNT_RESOLVE_PROXY,
    CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_UNSUPPORTED_PROTOCOL,
    CURLE_URL_MALFORMAT,
};

static sg_send_transport transport_of(CURLcode rc)
{
    if (rc == CURLE_OK)
        return SG_TRANSPORT_ANSWERED;
    for (size_t i = 0; i < sizeof not_sent_errors / sizeof not_sent_errors[0]; i++) {
        if (rc == not_sent_errors[i])
            return SG_TRANSPORT_NOT_SENT;
    }
    return SG_TRANSPORT_LOST;
}

/* Classify the attempt once (docs/routing.md, "Error classes"): kept on the job
 * for its outcome's event and the log; an error no catalogue row classifies is
 * counted; the provider's circuit breaker learns the class. The class does not
 * change what happens to this message. */
static void classify_attempt(sg_dispatcher *d, send_job *j, CURLcode rc, long status,
                             const sg_prov_result *res)
{
    bool unknown = false;
    j->send_class = sg_send_classify(j->prov->kind, transport_of(rc), status, res, &unknown);
    if (unknown)
        sg_metrics_provider_add(j->prov->name, SG_M_SEND_UNKNOWN, 1);
    sg_breakers_record(d->cfg.breakers, j->prov->id, j->prov->name, sg_time_now_ms(),
                       j->breaker_ticket, j->send_class);
    j->breaker_ticket = 0;
}

/* ---- failover (docs/routing.md) ---------------------------------------------------- */

/* The message moves to provider next_id of its route at once: back to the queue,
 * due now, with the next provider's sender pool and a fresh retry budget. */
static void failover_job(sg_dispatcher *d, send_job *j, const char *next_id,
                         const sg_prov_result *res)
{
    const sg_provider *next = sg_provider_set_find(j->set, next_id);
    sg_outcome *o = outcome_add(d, j, SG_OUTCOME_FAILOVER);
    if (o) {
        o->from[0] = '\0';
        o->retry_at = o->at;
        snprintf(o->next_provider_id, sizeof o->next_provider_id, "%s", next_id);
        snprintf(o->failover_from, sizeof o->failover_from, "%s", j->prov->name);
        snprintf(o->failover_to, sizeof o->failover_to, "%s", next ? next->name : next_id);
        snprintf(o->error_code, sizeof o->error_code, "%s", res->error_code);
        snprintf(o->error_message, sizeof o->error_message, "%s", res->error_message);
    }
    sg_log(SG_LOG_INFO, "send_failover", "id=%s provider=%s next=%s code=%s class=%s", j->msg.id,
           j->prov->name, next ? next->name : next_id, res->error_code[0] ? res->error_code : "-",
           sg_sendclass_name(j->send_class));
    sg_metrics_provider_add(j->prov->name, SG_M_RETRIED, 1);
    job_free(d, j);
}

/* Ask j's provider whether it has the message before failing over (the answer
 * to an attempt was lost): the answer comes to after_failover_lookup. False when
 * the kind cannot ask. */
static bool lookup_before_failover(sg_dispatcher *d, send_job *j, const sg_prov_result *res,
                                   long status)
{
    const sg_provider_kind *k = j->prov->kind;
    if (!k->build_lookup || !k->parse_lookup)
        return false;
    char callback[512];
    sg_prov_message pm = prov_message(d, j, callback);
    sg_error e = {0};
    job_reset_request(d, j);
    if (k->build_lookup(j->prov->cfg, &pm, j->msg.created_at, &j->preq, &e) != SG_OK)
        return false;
    j->lookup_done = true;
    j->looking_up = true;
    j->failover_lookup = true;
    j->last = *res;
    j->last_status = status;
    launch(d, j);
    return true;
}

/* An attempt's outcome at j's provider is unknown: whether j may fail over now.
 * Never twice: only after the provider said it does not have the message, or
 * when the route prefers a possible duplicate to delay (on_unknown failover);
 * the note on the outcome's event says which. *asking is set when a lookup was
 * started instead (the job is in flight again). */
static bool unknown_allows_failover(sg_dispatcher *d, send_job *j, const sg_sms_route *r,
                                    const sg_prov_result *res, long status, bool *asking)
{
    *asking = !j->failover_lookup && lookup_before_failover(d, j, res, status);
    if (*asking)
        return false;
    bool anyway = r && r->on_unknown == SG_ON_UNKNOWN_FAILOVER;
    snprintf(j->note, sizeof j->note,
             anyway ? "failed over although the outcome at %.63s is unknown (route on_unknown "
                      "failover: a duplicate is possible)"
                    : "not failed over: the outcome at %.63s is unknown and it could not be looked "
                      "up (route on_unknown retry)",
             j->prov->name);
    return anyway;
}

/* Fail j over to the next provider of its route (or the default) when it may
 * (not pinned, or pinned with "failover": true) and there is one that is usable.
 * True when j was taken care of: failed over, or a lookup started first; false
 * when it stays on its provider (the caller retries or fails it there). */
static bool try_failover(sg_dispatcher *d, send_job *j, const sg_prov_result *res, long status)
{
    if (!j->msg.failover)
        return false;
    const sg_sms_route *r = sg_provider_set_route(j->set, j->msg.route_id);
    const sg_provider *def = sg_provider_set_default(j->set);
    sg_route_env env = sg_routing_env(j->set, 0);
    const char *next =
        sg_route_next(r, def ? def->id : NULL, j->prov->id, j->msg.providers_tried, &env);
    if (!next)
        return false;
    bool asking = false;
    if (j->msg.outcome_unknown && !unknown_allows_failover(d, j, r, res, status, &asking))
        return asking;
    failover_job(d, j, next, res);
    return true;
}

/* The provider answered the lookup asked before a failover (finish_lookup: not
 * found, or no answer to trust; found ones are recorded sent there). */
static void after_failover_lookup(sg_dispatcher *d, send_job *j)
{
    sg_prov_result res = j->last;
    if (!try_failover(d, j, &res, j->last_status))
        retry_job(d, j, &res, j->last_status);
}

/* An attempt that was not accepted, by its send class (docs/routing.md):
 * provider → the next provider of the route at once, else retried here within
 * the budget; retry → retried here within the budget, then the next provider;
 * recipient (and answers no class covers) → failed. An answer lost, or a 2xx
 * that is not an acceptance, leaves the outcome unknown: looked up first. */
static void after_failure(sg_dispatcher *d, send_job *j, const sg_prov_result *res, long status,
                          CURLcode rc)
{
    if (transport_of(rc) == SG_TRANSPORT_LOST ||
        (status >= 200 && status < 300 && j->send_class == SG_SENDCLASS_RETRY))
        j->msg.outcome_unknown = true;
    if (j->send_class == SG_SENDCLASS_PROVIDER) {
        if (!try_failover(d, j, res, status))
            retry_job(d, j, res, status);
        return;
    }
    if (res->outcome == SG_SEND_RETRYABLE || j->send_class == SG_SENDCLASS_RETRY) {
        retry_job(d, j, res, status);
        return;
    }
    sg_log(SG_LOG_INFO, "send_failed", "id=%s provider=%s http=%ld code=%s class=%s", j->msg.id,
           j->prov->name, status, res->error_code[0] ? res->error_code : "-",
           sg_sendclass_name(j->send_class));
    fail_job(d, j, res->error_code, res->error_message, res->opted_out);
}

static void finish_job(sg_dispatcher *d, send_job *j, CURLcode rc)
{
    unlink_flying(d, j);
    if (j->looking_up) {
        finish_lookup(d, j, rc);
        return;
    }
    sg_prov_result res;
    memset(&res, 0, sizeof res);
    long status = 0;
    if (rc == CURLE_OK) {
        status = sg_http_call_status(&j->call);
        j->prov->kind->parse_send(j->prov->cfg, status, sg_http_body_data(&j->call.answer),
                                  sg_http_body_len(&j->call.answer), &res);
    } else {
        res.outcome = SG_SEND_RETRYABLE;
        sg_http_call_error(&j->call, rc, res.error_message, sizeof res.error_message);
    }
    classify_attempt(d, j, rc, status, &res);
    const char *name = j->prov->name;
    if (res.outcome == SG_SEND_ACCEPTED) {
        sg_outcome *o = outcome_add(d, j, SG_OUTCOME_SENT);
        if (o)
            snprintf(o->provider_message_id, sizeof o->provider_message_id, "%s", res.message_id);
        sg_metrics_provider_add(name, SG_M_SENT, 1);
        atomic_fetch_add(&d->sent, 1);
    } else {
        after_failure(d, j, &res, status, rc);
        return;
    }
    job_free(d, j);
}

static void drain_completions(sg_dispatcher *d)
{
    int left;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(d->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        send_job *j = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        if (j)
            finish_job(d, j, msg->data.result);
    }
}

/* ---- the inbox ------------------------------------------------------------------- */

/* Move n messages into the inbox (their copies are zeroed) and wake the loop once.
 * false (nothing moved) when out of memory: the lease brings them back. */
static bool inbox_put(sg_dispatcher *d, sg_message *msgs, size_t n)
{
    pthread_mutex_lock(&d->inbox_lock);
    if (d->n_inbox + n > d->cap_inbox) {
        size_t cap = d->cap_inbox ? d->cap_inbox : 256;
        while (cap < d->n_inbox + n)
            cap *= 2;
        sg_message *p = realloc(d->inbox, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&d->inbox_lock);
            return false;
        }
        d->inbox = p;
        d->cap_inbox = cap;
    }
    memcpy(d->inbox + d->n_inbox, msgs, n * sizeof *msgs);
    memset(msgs, 0, n * sizeof *msgs);
    d->n_inbox += n;
    pthread_mutex_unlock(&d->inbox_lock);
    if (!atomic_exchange(&d->inbox_signaled, true))
        curl_multi_wakeup(d->multi);
    return true;
}

/* Route everything in the inbox (dispatcher thread). */
static void inbox_drain(sg_dispatcher *d)
{
    if (!atomic_exchange(&d->inbox_signaled, false))
        return;
    pthread_mutex_lock(&d->inbox_lock);
    sg_message *msgs = d->inbox;
    size_t n = d->n_inbox;
    d->inbox = NULL;
    d->n_inbox = d->cap_inbox = 0;
    pthread_mutex_unlock(&d->inbox_lock);
    for (size_t i = 0; i < n; i++)
        route_job(d, &msgs[i]);
    free(msgs);
}

/* A claim's outcome: a failure is logged once while the same error repeats (a
 * database that is down fails every poll), and its end once. */
static void claim_result(sg_dispatcher *d, sg_err err)
{
    int prev = atomic_exchange(&d->claim_err, (int)err);
    if (err && (int)err != prev)
        sg_log(SG_LOG_WARN, "claim_failed", "error=\"%s\"", sg_strerror(err));
    else if (!err && prev)
        sg_log(SG_LOG_INFO, "claim_recovered", "after=\"%s\"", sg_strerror((sg_err)prev));
}

/* The answer of a claim (writer thread). */
static void on_claimed(void *arg, sg_message *msgs, size_t n, sg_err err)
{
    sg_dispatcher *d = arg;
    claim_result(d, err);
    atomic_fetch_add(&d->owned, (long)n);
    if (n && !inbox_put(d, msgs, n)) {
        atomic_fetch_sub(&d->owned, (long)n);
        sg_messages_free(msgs, n);
        msgs = NULL;
    }
    free(msgs);
    atomic_store(&d->claim_full, n > 0 && n == d->claim_want);
    atomic_store(&d->claim_busy, false);
    atomic_store(&d->inbox_signaled, true);
    curl_multi_wakeup(d->multi);
}

static long room(sg_dispatcher *d)
{
    return (long)d->max_held - atomic_load(&d->owned);
}

/* Ask the store for due messages unless a claim is already on its way. */
static void claim_more(sg_dispatcher *d)
{
    long want = room(d);
    if (want <= 0 || atomic_load(&d->claim_busy))
        return;
    if ((size_t)want > d->cfg.batch)
        want = (long)d->cfg.batch;
    d->claim_want = (size_t)want;
    atomic_store(&d->claim_full, false);
    atomic_store(&d->claim_busy, true);
    sg_err err = sg_store_claim_submit(d->store, sg_time_now_ms(), (size_t)want, d->cfg.lease_ms,
                                       on_claimed, d);
    if (err) {
        atomic_store(&d->claim_busy, false);
        claim_result(d, err);
    }
}

static void *dispatcher_main(void *arg)
{
    sg_dispatcher *d = arg;
    pthread_setname_np(pthread_self(), "sg-dispatch");
    int64_t next_poll = 0;
    while (!atomic_load(&d->stop)) {
        inbox_drain(d);
        int64_t now = sg_time_mono_ms();
        /* A wake-up is kept until a claim can be asked for: one already on its way
         * may have been queued before the messages it announces. */
        if (room(d) > 0 && !atomic_load(&d->claim_busy) &&
            (atomic_exchange(&d->woken, false) || atomic_load(&d->claim_full) ||
             now >= next_poll)) {
            claim_more(d);
            next_poll = now + d->cfg.poll_ms;
        }
        int64_t token_wait = start_ready(d);
        outcomes_flush(d);
        int running;
        curl_multi_perform(d->multi, &running);
        drain_completions(d);
        outcomes_flush(d);

        int64_t timeout = next_poll - sg_time_mono_ms();
        if (token_wait >= 0 && token_wait < timeout)
            timeout = token_wait;
        if (atomic_load(&d->inbox_signaled) ||
            (atomic_load(&d->claim_full) && !atomic_load(&d->claim_busy) && room(d) > 0))
            timeout = 0;
        if (timeout < 0)
            timeout = 0;
        if (timeout > 0)
            curl_multi_poll(d->multi, NULL, 0, (int)timeout, NULL);
        curl_multi_perform(d->multi, &running);
        drain_completions(d);
    }
    return NULL;
}

sg_err sg_dispatcher_start(const sg_dispatch_config *cfg, sg_store *store, sg_registry *reg,
                           sg_dispatcher **out, sg_error *e)
{
    sg_dispatcher *d = calloc(1, sizeof *d);
    if (!d)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    d->cfg = *cfg;
    d->max_held = (size_t)cfg->max_in_flight * 2;
    atomic_store(&d->live_nodes, 1);
    pthread_mutex_init(&d->inbox_lock, NULL);
    snprintf(d->public_url, sizeof d->public_url, "%s", cfg->public_url ? cfg->public_url : "");
    d->cfg.public_url = d->public_url;
    d->store = store;
    d->reg = reg;
    d->multi = curl_multi_init();
    if (!d->multi) {
        free(d);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "cannot create the curl multi handle");
    }
    curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)cfg->max_in_flight);
    curl_multi_setopt(d->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    if (pthread_create(&d->thread, NULL, dispatcher_main, d) != 0) {
        curl_multi_cleanup(d->multi);
        free(d);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the dispatcher thread");
    }
    *out = d;
    return SG_OK;
}

void sg_dispatcher_wake(sg_dispatcher *d)
{
    if (!d)
        return;
    if (!atomic_exchange(&d->woken, true))
        curl_multi_wakeup(d->multi);
}

void sg_dispatcher_set_nodes(sg_dispatcher *d, size_t live)
{
    if (d)
        atomic_store(&d->live_nodes, live ? (long)live : 1);
}

int64_t sg_dispatcher_sent(sg_dispatcher *d)
{
    return d ? atomic_load(&d->sent) : 0;
}

long sg_dispatcher_in_flight(sg_dispatcher *d)
{
    return d ? atomic_load(&d->in_flight) : 0;
}

void sg_dispatcher_stop(sg_dispatcher *d, int timeout_ms)
{
    if (!d)
        return;
    atomic_store(&d->stop, true);
    curl_multi_wakeup(d->multi);
    pthread_join(d->thread, NULL);
    /* A claim on its way answers into the inbox: wait for it (the writer answers
     * every job). */
    while (atomic_load(&d->claim_busy))
        usleep(1000);
    /* Messages claimed but never sent (in the inbox, or waiting for a token): put
     * them back, due now. */
    int64_t now = sg_time_now_ms();
    for (size_t i = 0; i < d->n_inbox; i++) {
        sg_outcome *o = outcome_add_for(d, d->inbox[i].id, "", SG_OUTCOME_RELEASE);
        if (o) {
            o->retry_at = now;
            snprintf(o->error_message, sizeof o->error_message, "released at shutdown");
        }
    }
    sg_messages_free(d->inbox, d->n_inbox);
    d->inbox = NULL;
    d->n_inbox = 0;
    for (bucket *b = d->buckets; b; b = b->next) {
        while (b->head) {
            send_job *j = b->head;
            b->head = j->next;
            release_job(d, j, now, "released at shutdown");
        }
        b->tail = NULL;
        b->waiting = 0;
    }
    d->waiting = 0;
    /* Let requests in flight finish, so their outcome is known and recorded. */
    int64_t deadline = sg_time_mono_ms() + timeout_ms;
    while (atomic_load(&d->in_flight) > 0 && sg_time_mono_ms() < deadline) {
        int running;
        curl_multi_poll(d->multi, NULL, 0, 50, NULL);
        curl_multi_perform(d->multi, &running);
        drain_completions(d);
    }
    long left = atomic_load(&d->in_flight);
    if (left)
        sg_log(SG_LOG_WARN, "dispatcher_abandoned",
               "in_flight=%ld detail=\"outcome unknown; "
               "claimed again when the lease expires\"",
               left);
    outcomes_flush(d);
    /* Abandon what is still in flight: the lease brings those messages back. */
    while (d->flying) {
        send_job *j = d->flying;
        unlink_flying(d, j);
        job_free(d, j);
    }
    for (bucket *b = d->buckets; b;) {
        bucket *next = b->next;
        free(b);
        b = next;
    }
    for (size_t i = 0; i < d->n_idle; i++)
        curl_easy_cleanup(d->idle_easy[i]);
    free(d->idle_easy);
    free(d->out);
    curl_multi_cleanup(d->multi);
    pthread_mutex_destroy(&d->inbox_lock);
    free(d);
}

size_t sg_dispatcher_reserve(sg_dispatcher *d, size_t n)
{
    if (!d || atomic_load(&d->stop))
        return 0;
    long have = atomic_load(&d->owned);
    for (;;) {
        long take = (long)d->max_held - have;
        if (take <= 0)
            return 0;
        if ((size_t)take > n)
            take = (long)n;
        if (atomic_compare_exchange_weak(&d->owned, &have, have + take))
            return (size_t)take;
    }
}

void sg_dispatcher_unreserve(sg_dispatcher *d, size_t n)
{
    if (d && n)
        atomic_fetch_sub(&d->owned, (long)n);
}

size_t sg_dispatcher_handoff(sg_dispatcher *d, sg_message *msgs, size_t n)
{
    size_t moved = 0;
    for (size_t i = 0; i < n; i++) {
        if (msgs[i].lease_until <= 0)
            continue;
        msgs[i].status = SG_STATUS_SENDING;
        msgs[i].lease_until = 0;
        if (!inbox_put(d, &msgs[i], 1))
            break; /* counted as reserved and not moved: the caller gives it back */
        moved++;
    }
    return moved;
}

int64_t sg_dispatcher_lease_ms(const sg_dispatcher *d)
{
    return d ? d->cfg.lease_ms : 0;
}
