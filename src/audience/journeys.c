#include "audience/journeys.h"
#include "audience/render.h"
#include "core/gsm7.h"
#include "core/journey.h"
#include "core/quiet_hours.h"
#include "dispatch/dispatcher.h"
#include "util/id.h"
#include "util/log.h"
#include "util/time.h"
#include "util/tz.h"

#include <jansson.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_SIZE       32   /* parsed journey versions kept */
#define STEPS_PER_CLAIM  16   /* steps run for one enrolment before the next one's turn */
#define GROUP_SCAN_LIMIT 1000 /* enrolments made by the group trigger per tick */

/* A parsed version of a journey, kept while it is used. */
typedef struct cached_def {
    char journey_id[SG_ID_MAX];
    int64_t version;
    bool used;
    sg_journey_def def;
    unsigned long last_use;
} cached_def;

struct sg_journeys {
    sg_journeys_config cfg;
    sg_store *store;
    sg_registry *registry;
    struct sg_dispatcher *dispatcher;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping, woken;
    cached_def cache[CACHE_SIZE];
    unsigned long clock;
};

/* The definition of (journey, version), parsed once; NULL when it cannot be
 * read or no longer validates (logged). */
static const sg_journey_def *def_for(sg_journeys *j, const char *id, int64_t version)
{
    cached_def *slot = &j->cache[0];
    for (size_t i = 0; i < CACHE_SIZE; i++) {
        cached_def *c = &j->cache[i];
        if (c->used && c->version == version && strcmp(c->journey_id, id) == 0) {
            c->last_use = ++j->clock;
            return &c->def;
        }
        if (!c->used || c->last_use < slot->last_use)
            slot = c;
    }
    char *text = NULL;
    if (sg_store_journey_version(j->store, id, version, &text) != SG_OK)
        return NULL;
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    if (slot->used)
        sg_journey_def_free(&slot->def);
    slot->used = false;
    sg_error e = {0};
    sg_err err = sg_journey_def_parse(doc, &slot->def, &e);
    json_decref(doc);
    if (err) {
        sg_log(SG_LOG_WARN, "journey_invalid", "journey=%s version=%lld error=\"%s\"", id,
               (long long)version, e.message);
        return NULL;
    }
    snprintf(slot->journey_id, sizeof slot->journey_id, "%s", id);
    slot->version = version;
    slot->used = true;
    slot->last_use = ++j->clock;
    return &slot->def;
}

/* What the engine reads of the contact to run a step. */
typedef struct contact_ctx {
    sg_contact c;
    bool have;
    json_t *attrs;
    const sg_tz *zone;
} contact_ctx;

static void contact_load(sg_journeys *j, const sg_enrollment *en, contact_ctx *cc)
{
    memset(cc, 0, sizeof *cc);
    cc->have = sg_store_contact_get(j->store, en->contact_id, &cc->c) == SG_OK;
    cc->attrs = cc->have && cc->c.attributes ? json_loads(cc->c.attributes, 0, NULL) : NULL;
    cc->zone = sg_render_zone(en->phone, cc->attrs, "UTC");
}

static void contact_free(contact_ctx *cc)
{
    json_decref(cc->attrs);
    if (cc->have)
        sg_contact_free(&cc->c);
}

static int32_t zone_offset(void *zone, int64_t t)
{
    return zone ? sg_tz_offset_cb(zone, t) : 0;
}

/* The text a send step sends: its body, or its template's, rendered for the
 * contact; NULL (why in detail) when it cannot be. */
static char *render_send(sg_journeys *j, const sg_journey_step *s, const sg_enrollment *en,
                         const contact_ctx *cc, char *detail, size_t cap)
{
    sg_template t = {0};
    const char *tpl = s->body;
    if (!tpl && sg_store_template_get(j->store, s->template_name, &t) == SG_OK)
        tpl = t.body;
    if (!tpl) {
        snprintf(detail, cap, "no template %s", s->template_name);
        return NULL;
    }
    sg_render_contact rc = {en->phone, cc->have ? cc->c.first_name : NULL,
                            cc->have ? cc->c.last_name : NULL, cc->attrs};
    sg_buf out;
    sg_buf_init(&out, SG_JOURNEY_BODY_MAX * 4 + 1);
    sg_tpl_error te = {0};
    char *text = NULL;
    if (sg_render_body(tpl, &rc, &out, &te) == SG_OK && sg_buf_append(&out, "", 1) == SG_OK) {
        text = out.data;
        out.data = NULL;
    } else {
        snprintf(detail, cap, "%s", te.detail[0] ? te.detail : "the body cannot be rendered");
    }
    sg_buf_free(&out);
    sg_template_row_free(&t);
    return text;
}

/* The message of a send step into m; false (why in detail) when it cannot be
 * sent (the step is then skipped, not retried). */
static bool build_send(sg_journeys *j, const sg_journey_def *d, const sg_journey_step *s,
                       const sg_enrollment *en, const contact_ctx *cc, int64_t now, sg_message *m,
                       char *detail, size_t cap)
{
    char *text = render_send(j, s, en, cc, detail, cap);
    sg_sms_info info;
    if (!text)
        return false;
    if (sg_sms_analyze(text, strlen(text), &info) != SG_TEXT_OK || info.segments == 0) {
        snprintf(detail, cap, "the rendered message is empty, too long or not UTF-8");
        free(text);
        return false;
    }
    const char *want = s->provider ? s->provider : d->provider;
    sg_provider_set *set = sg_registry_get(j->registry);
    const sg_provider *p = want ? sg_provider_set_find(set, want) : sg_provider_set_default(set);
    if (p)
        snprintf(m->provider_id, sizeof m->provider_id, "%s", p->id);
    sg_registry_release(j->registry, set);
    if (!p) {
        snprintf(detail, cap, "no provider %s", want ? want : "(no default provider)");
        free(text);
        return false;
    }
    sg_id_new("msg", now, m->id);
    m->status = SG_STATUS_QUEUED;
    snprintf(m->direction, sizeof m->direction, "outbound");
    snprintf(m->to, sizeof m->to, "%s", en->phone);
    snprintf(m->purpose, sizeof m->purpose, "journey");
    m->body = text;
    m->segments = info.segments;
    m->encoding = info.encoding;
    snprintf(m->contact_id, sizeof m->contact_id, "%s", en->contact_id);
    m->created_at = m->updated_at = now;
    return true;
}

/* One step's plan: what sg_store_journey_advance is asked to do, and what it
 * borrows. */
typedef struct plan {
    sg_journey_advance a;
    sg_message msg;
    bool has_msg;
    char detail[200];
    char *event_data;
} plan;

static const char *step_id(const sg_journey_def *d, int idx)
{
    return idx >= 0 ? d->steps[idx].id : NULL;
}

/* Move on to step idx (-1: the journey is over). */
static void go(plan *p, const sg_journey_def *d, int idx, const char *outcome)
{
    p->a.outcome = outcome;
    p->a.next_step = step_id(d, idx);
    p->a.exit_reason = "completed";
}

static void stay(plan *p, const char *waiting, int64_t due_ms, const char *outcome)
{
    p->a.stay = true;
    p->a.waiting = waiting;
    p->a.due_at = due_ms;
    p->a.outcome = outcome;
}

static void plan_send(sg_journeys *j, const sg_journey_def *d, const sg_journey_step *s,
                      const sg_enrollment *en, const contact_ctx *cc, int64_t now, plan *p)
{
    if (d->has_quiet) {
        int64_t t = now / 1000;
        int64_t next = sg_quiet_next_allowed(&d->quiet, t, zone_offset, (void *)cc->zone);
        if (next > t) {
            stay(p, "", next * 1000, "deferred");
            return;
        }
    }
    if (build_send(j, d, s, en, cc, now, &p->msg, p->detail, sizeof p->detail)) {
        p->has_msg = true;
        p->a.send = &p->msg;
        go(p, d, s->next, "sent");
    } else {
        p->a.detail = p->detail;
        go(p, d, s->next, "skipped");
        sg_log(SG_LOG_WARN, "journey_send_skipped", "enrollment=%s step=%s reason=\"%s\"", en->id,
               s->id, p->detail);
    }
}

static void plan_branch(sg_journeys *j, const sg_journey_step *s, const sg_journey_def *d,
                        const sg_enrollment *en, int64_t now, plan *p)
{
    bool yes = false;
    if (sg_store_journey_contact_matches(j->store, en->contact_id, s->condition, now, &yes) !=
        SG_OK)
        yes = false; /* a condition that cannot be evaluated is false */
    p->a.detail = yes ? "then" : "else";
    go(p, d, yes ? s->then_step : s->else_step, "completed");
}

static void plan_webhook(const sg_journey_step *s, const sg_journey_def *d,
                         const sg_enrollment *en, plan *p)
{
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "journey_id", en->journey_id,
                             "journey", d->name, "enrollment_id", en->id, "contact_id",
                             en->contact_id, "phone", en->phone, "step", s->id, "event",
                             s->event ? s->event : "step");
    p->event_data = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    p->a.event = SG_EVENT_JOURNEY_STEP;
    p->a.event_data = p->event_data;
    go(p, d, s->next, "completed");
}

/* What running step s of en at now does. */
static void plan_step(sg_journeys *j, const sg_journey_def *d, const sg_journey_step *s,
                      const sg_enrollment *en, const contact_ctx *cc, int64_t now, plan *p)
{
    switch (s->type) {
    case SG_JS_SEND:
        plan_send(j, d, s, en, cc, now, p);
        break;
    case SG_JS_WAIT:
        if (strcmp(en->waiting, "wait") == 0)
            go(p, d, s->next, "completed");
        else
            stay(p, "wait", sg_journey_wait_due(s, now / 1000, zone_offset, (void *)cc->zone) * 1000,
                 "waiting");
        break;
    case SG_JS_WAIT_FOR_REPLY:
        if (strcmp(en->waiting, "reply") == 0)
            go(p, d, s->no_reply, "timed_out");
        else
            stay(p, "reply", now + s->timeout * 1000, "waiting");
        break;
    case SG_JS_BRANCH:
        plan_branch(j, s, d, en, now, p);
        break;
    case SG_JS_ADD_TO_GROUP:
    case SG_JS_REMOVE_FROM_GROUP:
        p->a.group = s->group;
        p->a.group_add = s->type == SG_JS_ADD_TO_GROUP;
        go(p, d, s->next, "completed");
        break;
    case SG_JS_SET_ATTRIBUTE:
        p->a.attr_name = s->name;
        p->a.attr_value = s->value;
        go(p, d, s->next, "completed");
        break;
    case SG_JS_WEBHOOK:
        plan_webhook(s, d, en, p);
        break;
    case SG_JS_END:
        go(p, d, -1, "completed");
        break;
    }
}

/* The guard that ends en before its step runs, or NULL. */
static const char *guard(const sg_journeys *j, const sg_enrollment *en, int64_t now)
{
    if (en->opted_out)
        return "opted_out";
    if (en->steps_taken >= (int64_t)j->cfg.max_steps)
        return "max_steps";
    if (now - en->started_at > j->cfg.max_age_ms)
        return "max_age";
    return NULL;
}

/* Run en's current step; true when it moved to a step that is due at once
 * (en then describes it). */
static bool run_step(sg_journeys *j, sg_enrollment *en, int64_t now, bool *queued)
{
    plan p;
    memset(&p, 0, sizeof p);
    p.a = (sg_journey_advance){.enrollment_id = en->id, .step = en->step, .visit = en->visit,
                               .now = now};
    const sg_journey_def *d = def_for(j, en->journey_id, en->version);
    int idx = d ? sg_journey_step_index(d, en->step) : -1;
    const char *stop = idx < 0 ? "invalid" : guard(j, en, now);
    contact_ctx cc;
    contact_load(j, en, &cc);
    if (stop) {
        p.a.outcome = "interrupted";
        p.a.exit_reason = stop;
    } else {
        plan_step(j, d, &d->steps[idx], en, &cc, now, &p);
    }
    contact_free(&cc);
    sg_error e = {0};
    sg_err err = sg_store_journey_advance(j->store, &p.a, &e);
    if (err)
        sg_log(SG_LOG_WARN, "journey_step_failed", "enrollment=%s step=%s error=\"%s\"", en->id,
               en->step, e.message);
    bool next = !err && !p.a.stale && !p.a.stay && p.a.next_step;
    *queued = *queued || (!err && !p.a.stale && p.has_msg);
    if (next) {
        snprintf(en->step, sizeof en->step, "%s", p.a.next_step);
        en->steps_taken++;
        en->visit = en->steps_taken;
        en->waiting[0] = '\0';
    }
    if (p.has_msg)
        sg_message_free(&p.msg);
    free(p.event_data);
    return next;
}

/* One claimed batch; the number of enrolments claimed. */
static size_t run_batch(sg_journeys *j)
{
    int64_t now = sg_time_now_ms();
    sg_error e = {0};
    size_t enrolled = 0;
    if (sg_store_journey_group_scan(j->store, now, GROUP_SCAN_LIMIT, &enrolled, &e) != SG_OK)
        sg_log(SG_LOG_WARN, "journey_group_scan_failed", "error=\"%s\"", e.message);
    sg_enrollment *ens = NULL;
    size_t n = 0;
    if (sg_store_journey_claim(j->store, now, j->cfg.lease_ms, j->cfg.batch, &ens, &n) != SG_OK)
        return 0;
    bool queued = false;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < STEPS_PER_CLAIM && run_step(j, &ens[i], sg_time_now_ms(), &queued);
             k++)
            ;
    }
    free(ens);
    if (queued && j->dispatcher)
        sg_dispatcher_wake(j->dispatcher);
    return n;
}

static void *run(void *arg)
{
    sg_journeys *j = arg;
    pthread_setname_np(pthread_self(), "sg-journeys");
    pthread_mutex_lock(&j->lock);
    while (!j->stopping) {
        pthread_mutex_unlock(&j->lock);
        size_t n = run_batch(j);
        pthread_mutex_lock(&j->lock);
        if (j->stopping)
            break;
        if (!j->woken && n < j->cfg.batch) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (long)(j->cfg.tick_ms % 1000) * 1000000L;
            ts.tv_sec += j->cfg.tick_ms / 1000 + ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&j->cond, &j->lock, &ts);
        }
        j->woken = false;
    }
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

static void config_defaults(sg_journeys_config *c)
{
    if (!c->tick_ms)
        c->tick_ms = 200;
    if (!c->batch)
        c->batch = 200;
    if (!c->lease_ms)
        c->lease_ms = 60000;
    if (!c->max_steps)
        c->max_steps = SG_JOURNEY_MAX_STEPS_DEFAULT;
    if (!c->max_age_ms)
        c->max_age_ms = SG_JOURNEY_MAX_AGE_DEFAULT * 1000;
}

sg_err sg_journeys_start(const sg_journeys_config *cfg, sg_store *store, sg_registry *registry,
                         struct sg_dispatcher *dispatcher, sg_journeys **out, sg_error *e)
{
    sg_err err = sg_store_journey_leases_reset(store, e);
    if (err == SG_ERR_UNSUPPORTED) {
        sg_log(SG_LOG_WARN, "journeys_unavailable", "reason=\"%s\"", e ? e->message : "");
        *out = NULL;
        sg_error_clear(e);
        return SG_OK; /* a backend without journeys runs without the engine */
    }
    if (err)
        return err;
    sg_journeys *j = calloc(1, sizeof *j);
    if (!j)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    j->cfg = *cfg;
    config_defaults(&j->cfg);
    j->store = store;
    j->registry = registry;
    j->dispatcher = dispatcher;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->cond, NULL);
    if (pthread_create(&j->thread, NULL, run, j) != 0) {
        pthread_cond_destroy(&j->cond);
        pthread_mutex_destroy(&j->lock);
        free(j);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the journey engine thread");
    }
    *out = j;
    return SG_OK;
}

void sg_journeys_wake(sg_journeys *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->woken = true;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
}

void sg_journeys_stop(sg_journeys *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    j->stopping = true;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
    for (size_t i = 0; i < CACHE_SIZE; i++) {
        if (j->cache[i].used)
            sg_journey_def_free(&j->cache[i].def);
    }
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->lock);
    free(j);
}
