#include "audience/broadcaster.h"
#include "audience/render.h"
#include "core/country_set.h"
#include "core/gsm7.h"
#include "core/phone.h"
#include "core/quiet_hours.h"
#include "dispatch/dispatcher.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/time.h"
#include "util/tz.h"

#include <jansson.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ACTIVE 64
#define MATERIALIZE_BUDGET_MS 300

/* Token bucket of one broadcast with a rate. */
typedef struct pace {
    char id[SG_ID_MAX];
    double tokens;
    int64_t last_ms;
    bool used;
} pace;

struct sg_broadcaster {
    sg_broadcaster_config cfg;
    char public_url[256];
    sg_store *store;
    struct sg_dispatcher *dispatcher;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping, woken;
    pace paces[MAX_ACTIVE];
};

static pace *pace_for(sg_broadcaster *b, const char *id, int64_t now)
{
    pace *free_slot = NULL;
    for (int i = 0; i < MAX_ACTIVE; i++) {
        if (b->paces[i].used && strcmp(b->paces[i].id, id) == 0)
            return &b->paces[i];
        if (!b->paces[i].used && !free_slot)
            free_slot = &b->paces[i];
    }
    if (!free_slot) /* more than MAX_ACTIVE broadcasts: recycle the first */
        free_slot = &b->paces[0];
    memset(free_slot, 0, sizeof *free_slot);
    snprintf(free_slot->id, sizeof free_slot->id, "%s", id);
    free_slot->last_ms = now;
    free_slot->tokens = 1;
    free_slot->used = true;
    return free_slot;
}

/* The zone whose clock quiet hours follow for this recipient (sg_render_zone),
 * with the broadcast's own as the fallback. */
static const sg_tz *recipient_zone(const sg_recipient *r, json_t *attrs, const char *fallback)
{
    return sg_render_zone(r->phone, attrs, fallback);
}

typedef struct prepared {
    sg_rcpt_result res;
    sg_message msg;
    sg_link *links;
    size_t n_links;
    char detail[200];
} prepared;

/* Decide what to do with one recipient now. */
static void prepare(sg_broadcaster *b, const sg_broadcast *bc, const sg_recipient *r, int64_t now,
                    prepared *p)
{
    memset(p, 0, sizeof *p);
    p->res.contact_id = r->contact_id;
    if (!r->phone[0]) {
        p->res.action = SG_RCPT_SKIP;
        p->res.reason = "invalid";
        p->res.detail = "the contact was deleted";
        return;
    }
    char region[3] = "";
    if (b->cfg.allowed && b->cfg.allowed->n &&
        !sg_country_set_allows(b->cfg.allowed, sg_phone_region(r->phone, region) ? region : NULL)) {
        sg_metrics_send_refused("country_not_allowed");
        p->res.action = SG_RCPT_SKIP;
        p->res.reason = "invalid";
        snprintf(p->detail, sizeof p->detail,
                 "sending to %s is not allowed by this deployment (--allowed-countries)",
                 region[0] ? region : "a number of no single country");
        p->res.detail = p->detail;
        return;
    }
    json_t *attrs = r->attributes ? json_loads(r->attributes, 0, NULL) : NULL;
    if (bc->quiet_start >= 0 && bc->quiet_end >= 0 && bc->quiet_start != bc->quiet_end) {
        sg_quiet q = {bc->quiet_start, bc->quiet_end};
        const sg_tz *z = recipient_zone(r, attrs, bc->timezone);
        if (z) {
            int64_t t = now / 1000;
            int64_t next = sg_quiet_next_allowed(&q, t, sg_tz_offset_cb, (void *)z);
            if (next > t) {
                p->res.action = SG_RCPT_DEFER;
                p->res.not_before = next * 1000;
                json_decref(attrs);
                return;
            }
        }
    }
    sg_render_contact rc = {r->phone, r->first_name, r->last_name, attrs};
    sg_buf body, tracked;
    sg_buf_init(&body, 8192);
    sg_buf_init(&tracked, 8192);
    sg_tpl_error terr = {0};
    sg_err err = sg_render_body(bc->body ? bc->body : "", &rc, &body, &terr);
    json_decref(attrs);
    const char *text = sg_buf_cstr(&body);
    if (!err && bc->track_clicks) {
        err = sg_render_links(text, b->public_url, &tracked, &p->links, &p->n_links);
        if (err)
            snprintf(terr.detail, sizeof terr.detail, "cannot shorten the links: %s",
                     sg_strerror(err));
        text = sg_buf_cstr(&tracked);
    }
    sg_sms_info info;
    sg_text_status ts = err ? SG_TEXT_OK : sg_sms_analyze(text, strlen(text), &info);
    if (err || ts != SG_TEXT_OK || info.segments == 0) {
        p->res.action = SG_RCPT_SKIP;
        p->res.reason = "invalid";
        snprintf(p->detail, sizeof p->detail, "%s",
                 err ? terr.detail
                 : ts == SG_TEXT_TOO_LONG ? "the rendered message is longer than 1600 characters"
                 : ts != SG_TEXT_OK       ? "the rendered message is not valid UTF-8"
                                          : "the rendered message is empty");
        p->res.detail = p->detail;
        sg_render_links_free(p->links, p->n_links);
        p->links = NULL;
        p->n_links = 0;
        sg_buf_free(&body);
        sg_buf_free(&tracked);
        return;
    }
    sg_message *m = &p->msg;
    sg_id_new("msg", now, m->id);
    m->status = SG_STATUS_QUEUED;
    snprintf(m->direction, sizeof m->direction, "outbound");
    snprintf(m->to, sizeof m->to, "%s", r->phone);
    snprintf(m->from, sizeof m->from, "%s", bc->from);
    m->body = strdup(text);
    snprintf(m->provider_id, sizeof m->provider_id, "%s", bc->provider_id);
    m->segments = info.segments;
    m->encoding = info.encoding;
    snprintf(m->contact_id, sizeof m->contact_id, "%s", r->contact_id);
    m->created_at = m->updated_at = now;
    snprintf(m->broadcast_id, sizeof m->broadcast_id, "%s", bc->id);
    snprintf(m->external_template_id, sizeof m->external_template_id, "%s",
             bc->external_template_id);
    for (size_t i = 0; i < p->n_links; i++) {
        snprintf(p->links[i].message_id, sizeof p->links[i].message_id, "%s", m->id);
        snprintf(p->links[i].contact_id, sizeof p->links[i].contact_id, "%s", r->contact_id);
        snprintf(p->links[i].broadcast_id, sizeof p->links[i].broadcast_id, "%s", bc->id);
    }
    m->links = p->links; /* the message owns them now */
    m->n_links = p->n_links;
    p->links = NULL;
    p->n_links = 0;
    p->res.action = SG_RCPT_QUEUE;
    p->res.msg = m;
    if (!m->body) {
        p->res.action = SG_RCPT_DEFER; /* out of memory: try again next tick */
        p->res.not_before = now;
    }
    sg_buf_free(&body);
    sg_buf_free(&tracked);
}

/* Messages due now go to the dispatcher straight after their commit, as API
 * sends do (sg_dispatcher_reserve): as many as it has room for are stored
 * already claimed (lease_until set). The number reserved. */
static size_t reserve_handoff(sg_broadcaster *b, prepared *ps, size_t n, int64_t now)
{
    size_t due = 0;
    for (size_t i = 0; i < n; i++)
        due += ps[i].res.action == SG_RCPT_QUEUE;
    size_t reserved = due && b->dispatcher ? sg_dispatcher_reserve(b->dispatcher, due) : 0;
    int64_t lease_until = now + sg_dispatcher_lease_ms(b->dispatcher);
    for (size_t i = 0, k = 0; i < n && k < reserved; i++) {
        if (ps[i].res.action == SG_RCPT_QUEUE) {
            ps[i].msg.lease_until = lease_until;
            k++;
        }
    }
    return reserved;
}

/* After the commit: hand over the messages stored claimed (the store cleared
 * lease_until on those it did not insert) and give back the room not used. */
static void handoff(sg_broadcaster *b, prepared *ps, size_t n, size_t reserved)
{
    if (!reserved)
        return;
    size_t moved = 0;
    for (size_t i = 0; i < n; i++)
        if (ps[i].res.action == SG_RCPT_QUEUE && ps[i].msg.lease_until > 0)
            moved += sg_dispatcher_handoff(b->dispatcher, &ps[i].msg, 1);
    sg_dispatcher_unreserve(b->dispatcher, reserved - moved);
}

/* Queue what this broadcast may send now; the number queued. */
static size_t pump(sg_broadcaster *b, const sg_broadcast *bc, int64_t now)
{
    size_t budget = b->cfg.batch;
    pace *pc = NULL;
    if (bc->rate > 0) {
        pc = pace_for(b, bc->id, now);
        pc->tokens += bc->rate * (double)(now - pc->last_ms) / 1000.0;
        pc->last_ms = now;
        double cap = bc->rate > 1 ? bc->rate : 1; /* at most a second's worth at once */
        if (pc->tokens > cap)
            pc->tokens = cap;
        if (pc->tokens < 1)
            return 0;
        if ((double)budget > pc->tokens)
            budget = (size_t)pc->tokens;
    } else {
        int64_t outstanding = 0;
        if (sg_store_broadcast_outstanding(b->store, bc->id, &outstanding) != SG_OK)
            return 0;
        if (outstanding >= (int64_t)b->cfg.max_outstanding)
            return 0;
        if ((int64_t)budget > (int64_t)b->cfg.max_outstanding - outstanding)
            budget = (size_t)((int64_t)b->cfg.max_outstanding - outstanding);
    }
    sg_recipient *rs = NULL;
    size_t n = 0;
    if (sg_store_broadcast_pending(b->store, bc->id, now, budget, &rs, &n) != SG_OK || n == 0) {
        sg_recipients_free(rs, n);
        return 0;
    }
    prepared *ps = calloc(n, sizeof *ps);
    sg_rcpt_result *results = calloc(n, sizeof *results);
    size_t queued = 0;
    if (ps && results) {
        for (size_t i = 0; i < n; i++) {
            prepare(b, bc, &rs[i], now, &ps[i]);
            results[i] = ps[i].res;
        }
        size_t reserved = reserve_handoff(b, ps, n, now);
        sg_error e = {0};
        if (sg_store_broadcast_apply(b->store, bc->id, results, n, now, &queued, &e) != SG_OK) {
            sg_log(SG_LOG_WARN, "broadcast_queue_failed", "broadcast=%s error=\"%s\"", bc->id,
                   e.message);
            sg_dispatcher_unreserve(b->dispatcher, reserved);
        } else {
            handoff(b, ps, n, reserved);
        }
    }
    for (size_t i = 0; ps && i < n; i++) {
        sg_message_free(&ps[i].msg);
        sg_render_links_free(ps[i].links, ps[i].n_links);
    }
    free(ps);
    free(results);
    sg_recipients_free(rs, n);
    if (pc)
        pc->tokens -= (double)queued;
    if (queued && b->dispatcher)
        sg_dispatcher_wake(b->dispatcher);
    return queued;
}

/* The audience of bc cannot be computed, and never will be (its segment was
 * deleted, or its filter, saved before filters were bounded, does not compile):
 * end it as failed with the reason, logged once, rather than try again every
 * tick. */
static void fail_broadcast(sg_broadcaster *b, const sg_broadcast *bc, const char *why)
{
    char reason[256];
    snprintf(reason, sizeof reason, "the audience cannot be computed: %.200s", why);
    bool changed = false;
    sg_error e = {0};
    if (sg_store_broadcast_fail(b->store, bc->id, reason, sg_time_now_ms(), &changed, &e) != SG_OK)
        sg_log(SG_LOG_ERROR, "broadcast_materialize_failed", "broadcast=%s error=\"%s\"", bc->id,
               e.message);
    else if (changed)
        sg_log(SG_LOG_ERROR, "broadcast_failed", "broadcast=%s error=\"%s\"", bc->id, reason);
}

/* Choose more of bc's recipients, for at most MATERIALIZE_BUDGET_MS. False when
 * the broadcast cannot go on this tick (or ever: then it has failed). */
static bool materialize(sg_broadcaster *b, sg_broadcast *bc, int64_t now)
{
    bool finished = false;
    int64_t start = sg_time_now_ms();
    do {
        sg_error e = {0};
        sg_err err =
            sg_store_broadcast_materialize(b->store, bc->id, b->cfg.chunk, now, &finished, &e);
        if (err == SG_ERR_INVALID || err == SG_ERR_NOT_FOUND) {
            fail_broadcast(b, bc, e.message);
            return false;
        }
        if (err) {
            sg_log(SG_LOG_ERROR, "broadcast_materialize_failed", "broadcast=%s error=\"%s\"",
                   bc->id, e.message);
            return false;
        }
    } while (!finished && sg_time_now_ms() - start < MATERIALIZE_BUDGET_MS);
    if (bc->status == SG_BCAST_SCHEDULED)
        sg_log(SG_LOG_INFO, "broadcast_started", "broadcast=%s", bc->id);
    bc->status = SG_BCAST_SENDING;
    return true;
}

static void tick(sg_broadcaster *b)
{
    int64_t now = sg_time_now_ms();
    sg_broadcast *list = NULL;
    size_t n = 0;
    if (sg_store_broadcasts_active(b->store, now, &list, &n) != SG_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        sg_broadcast *bc = &list[i];
        sg_error e = {0};
        if (!bc->materialized && !materialize(b, bc, now))
            continue;
        /* Queue in batches until the broadcast's budget is spent or the tick is
         * over (then the next broadcast gets its turn). */
        int64_t start = sg_time_now_ms();
        while (pump(b, bc, sg_time_now_ms()) > 0 &&
               sg_time_now_ms() - start < (int64_t)b->cfg.tick_ms)
            ;
        bool done = false;
        if (sg_store_broadcast_finish_if_done(b->store, bc->id, sg_time_now_ms(), &done, &e) ==
                SG_OK &&
            done)
            sg_log(SG_LOG_INFO, "broadcast_done", "broadcast=%s", bc->id);
    }
    sg_broadcasts_free(list, n);
}

static void *run(void *arg)
{
    sg_broadcaster *b = arg;
    pthread_setname_np(pthread_self(), "sg-broadcast");
    pthread_mutex_lock(&b->lock);
    while (!b->stopping) {
        pthread_mutex_unlock(&b->lock);
        tick(b);
        pthread_mutex_lock(&b->lock);
        if (b->stopping)
            break;
        if (!b->woken) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (long)(b->cfg.tick_ms % 1000) * 1000000L;
            ts.tv_sec += b->cfg.tick_ms / 1000 + ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&b->cond, &b->lock, &ts);
        }
        b->woken = false;
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

sg_err sg_broadcaster_start(const sg_broadcaster_config *cfg, sg_store *store,
                            struct sg_dispatcher *dispatcher, sg_broadcaster **out, sg_error *e)
{
    sg_broadcaster *b = calloc(1, sizeof *b);
    if (!b)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    b->cfg = *cfg;
    if (!b->cfg.tick_ms)
        b->cfg.tick_ms = 200;
    if (!b->cfg.batch)
        b->cfg.batch = 500;
    if (!b->cfg.max_outstanding)
        b->cfg.max_outstanding = 5000;
    if (!b->cfg.chunk)
        b->cfg.chunk = 20000;
    snprintf(b->public_url, sizeof b->public_url, "%s", cfg->public_url ? cfg->public_url : "");
    b->store = store;
    b->dispatcher = dispatcher;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cond, NULL);
    if (pthread_create(&b->thread, NULL, run, b) != 0) {
        free(b);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the broadcaster thread");
    }
    *out = b;
    return SG_OK;
}

void sg_broadcaster_wake(sg_broadcaster *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->woken = true;
    pthread_cond_signal(&b->cond);
    pthread_mutex_unlock(&b->lock);
}

void sg_broadcaster_stop(sg_broadcaster *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stopping = true;
    pthread_cond_signal(&b->cond);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL);
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->lock);
    free(b);
}
