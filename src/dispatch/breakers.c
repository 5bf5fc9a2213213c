/* The node's circuit breakers (dispatch/breakers.h). */
#include "dispatch/breakers.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char id[SG_ID_MAX];
    char name[64];
    sg_breaker br;
} entry;

struct sg_breakers {
    sg_breaker_config cfg;
    sg_store *store;
    int64_t created_at;
    pthread_mutex_t lock;
    entry *items;
    size_t n, cap;
};

sg_err sg_breakers_new(const sg_breaker_config *cfg, sg_store *store, sg_breakers **out,
                       sg_error *e)
{
    const char *why = NULL;
    if (!sg_breaker_config_valid(cfg, &why))
        return sg_error_set(e, SG_ERR_INVALID, NULL, "circuit breaker: %s", why);
    sg_breakers *b = calloc(1, sizeof *b);
    if (!b)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    b->cfg = *cfg;
    b->store = store;
    b->created_at = sg_time_now_ms();
    pthread_mutex_init(&b->lock, NULL);
    *out = b;
    return SG_OK;
}

void sg_breakers_destroy(sg_breakers *b)
{
    if (!b)
        return;
    pthread_mutex_destroy(&b->lock);
    free(b->items);
    free(b);
}

const sg_breaker_config *sg_breakers_config(const sg_breakers *b)
{
    return b ? &b->cfg : NULL;
}

/* provider_id's entry (lock held), NULL when absent. */
static entry *find(sg_breakers *b, const char *id)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->items[i].id, id) == 0)
            return &b->items[i];
    return NULL;
}

/* provider_id's entry, made (closed) when absent, its name refreshed (a rename
 * shows in the metrics at the next send). NULL when out of memory: the provider
 * then goes unguarded rather than stopped. Lock held. */
static entry *find_or_add(sg_breakers *b, const char *id, const char *name, int64_t now)
{
    entry *x = find(b, id);
    if (!x) {
        if (b->n == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 16;
            entry *p = realloc(b->items, cap * sizeof *p);
            if (!p)
                return NULL;
            b->items = p;
            b->cap = cap;
        }
        x = &b->items[b->n++];
        memset(x, 0, sizeof *x);
        snprintf(x->id, sizeof x->id, "%s", id);
        sg_breaker_init(&x->br, now);
    }
    if (name && strcmp(x->name, name) != 0)
        snprintf(x->name, sizeof x->name, "%s", name);
    return x;
}

bool sg_breakers_usable(sg_breakers *b, const char *provider_id, int64_t now)
{
    if (!b)
        return true;
    pthread_mutex_lock(&b->lock);
    entry *x = find(b, provider_id);
    bool ok = !x || sg_breaker_usable(&x->br, &b->cfg, now);
    pthread_mutex_unlock(&b->lock);
    return ok;
}

bool sg_breakers_usable_now(const char *provider_id, void *ctx)
{
    return sg_breakers_usable(ctx, provider_id, sg_time_now_ms());
}

/* One sentence for a transition's log line and provider event. */
static void describe(const sg_breakers *b, const sg_breaker_change *ch, char *out, size_t cap)
{
    const sg_breaker_config *c = &b->cfg;
    switch (ch->to) {
    case SG_BREAKER_OPEN:
        if (ch->reason == SG_BREAKER_REASON_CONSECUTIVE)
            snprintf(out, cap, "opened after %u provider failures in a row; sends wait %lld s",
                     c->consecutive, (long long)(c->cooldown_ms / 1000));
        else if (ch->reason == SG_BREAKER_REASON_RATE)
            snprintf(out, cap,
                     "opened: at least %u%% of the sends in the last %lld s failed; sends wait "
                     "%lld s",
                     c->rate_percent, (long long)(c->window_ms / 1000),
                     (long long)(c->cooldown_ms / 1000));
        else
            snprintf(out, cap, "opened again: a probe failed; sends wait %lld s",
                     (long long)(c->cooldown_ms / 1000));
        break;
    case SG_BREAKER_HALF_OPEN:
        snprintf(out, cap, "half-open after the cool-down: up to %u probe sends at once",
                 c->probes);
        break;
    default:
        snprintf(out, cap, "closed after %u successful probes", c->successes);
        break;
    }
}

/* Report a transition (lock not held): the log and a provider event. */
static void report(sg_breakers *b, const char *id, const char *name, int64_t now,
                   const sg_breaker_change *ch)
{
    if (ch->from == ch->to)
        return;
    sg_provider_event ev = {.at = now};
    snprintf(ev.provider_id, sizeof ev.provider_id, "%s", id);
    snprintf(ev.type, sizeof ev.type, "breaker.%s", sg_breaker_state_name(ch->to));
    describe(b, ch, ev.detail, sizeof ev.detail);
    sg_log(ch->to == SG_BREAKER_OPEN ? SG_LOG_WARN : SG_LOG_INFO, "breaker_transition",
           "provider=%s id=%s from=%s to=%s reason=%s detail=\"%s\"", name ? name : "", id,
           sg_breaker_state_name(ch->from), sg_breaker_state_name(ch->to),
           ch->reason ? sg_breaker_reason_name(ch->reason) : "-", ev.detail);
    if (b->store && sg_store_provider_event_add(b->store, &ev) != SG_OK)
        sg_log(SG_LOG_WARN, "provider_event_lost", "provider=%s type=%s", id, ev.type);
}

uint32_t sg_breakers_admit(sg_breakers *b, const char *provider_id, const char *name, int64_t now,
                           int64_t *retry_at)
{
    if (!b)
        return 1;
    sg_breaker_change ch = {0};
    pthread_mutex_lock(&b->lock);
    entry *x = find_or_add(b, provider_id, name, now);
    uint32_t t = x ? sg_breaker_admit(&x->br, &b->cfg, now, &ch) : 1;
    if (!t && retry_at) {
        int64_t next = sg_breaker_next_probe(&x->br, &b->cfg, now);
        *retry_at = next > now ? next : now + SG_BREAKER_PROBE_WAIT_MS;
    }
    pthread_mutex_unlock(&b->lock);
    report(b, provider_id, name, now, &ch);
    return t;
}

void sg_breakers_cancel(sg_breakers *b, const char *provider_id, uint32_t ticket)
{
    if (!b || !ticket)
        return;
    pthread_mutex_lock(&b->lock);
    entry *x = find(b, provider_id);
    if (x)
        sg_breaker_cancel(&x->br, ticket);
    pthread_mutex_unlock(&b->lock);
}

/* The table of send classes to breaker results. */
static const sg_breaker_result result_of[] = {
    [SG_SENDCLASS_UNSET] = SG_BREAKER_NEUTRAL,     [SG_SENDCLASS_ACCEPTED] = SG_BREAKER_SUCCESS,
    [SG_SENDCLASS_RECIPIENT] = SG_BREAKER_SUCCESS, [SG_SENDCLASS_PROVIDER] = SG_BREAKER_FAILURE,
    [SG_SENDCLASS_RETRY] = SG_BREAKER_FAILURE,     [SG_SENDCLASS_NONE] = SG_BREAKER_NEUTRAL,
};

void sg_breakers_record(sg_breakers *b, const char *provider_id, const char *name, int64_t now,
                        uint32_t ticket, sg_sendclass cls)
{
    if (!b || !ticket)
        return;
    sg_breaker_result r = (unsigned)cls < sizeof result_of / sizeof result_of[0]
                              ? result_of[cls]
                              : SG_BREAKER_NEUTRAL;
    sg_breaker_change ch = {0};
    pthread_mutex_lock(&b->lock);
    entry *x = find_or_add(b, provider_id, name, now);
    if (x)
        sg_breaker_record(&x->br, &b->cfg, now, ticket, r, &ch);
    pthread_mutex_unlock(&b->lock);
    report(b, provider_id, name, now, &ch);
}

void sg_breakers_health(sg_breakers *b, const char *provider_id, int64_t now,
                        sg_breaker_health *out)
{
    memset(out, 0, sizeof *out);
    out->state = SG_BREAKER_CLOSED;
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    out->since = b->created_at;
    entry *x = find(b, provider_id);
    if (x) {
        const sg_breaker *br = &x->br;
        out->state = br->state;
        out->since = br->since;
        out->next_probe_at = sg_breaker_next_probe(br, &b->cfg, now);
        out->consecutive_failures = br->consecutive;
        sg_breaker_window(br, &b->cfg, now, &out->window_attempts, &out->window_failures);
        out->failures = br->failures;
        out->successes = br->successes;
        memcpy(out->transitions, br->transitions, sizeof out->transitions);
        out->probes_out = br->probes_out;
        out->reason = br->reason;
    }
    pthread_mutex_unlock(&b->lock);
}

void sg_breakers_render_metrics(sg_breakers *b, sg_buf *out)
{
    sg_buf_printf(out, "# HELP smsgate_provider_breaker_state The provider's circuit breaker "
                       "on this node: 1 for its state, 0 for the others.\n"
                       "# TYPE smsgate_provider_breaker_state gauge\n");
    if (b)
        pthread_mutex_lock(&b->lock);
    for (size_t i = 0; b && i < b->n; i++)
        for (int s = 0; s < SG_BREAKER__STATES; s++)
            sg_buf_printf(out, "smsgate_provider_breaker_state{provider=\"%s\",state=\"%s\"} %d\n",
                          b->items[i].name, sg_breaker_state_name((sg_breaker_state)s),
                          b->items[i].br.state == (sg_breaker_state)s);
    sg_buf_printf(out, "# HELP smsgate_provider_breaker_transitions_total Transitions of the "
                       "provider's circuit breaker on this node, by the state entered.\n"
                       "# TYPE smsgate_provider_breaker_transitions_total counter\n");
    for (size_t i = 0; b && i < b->n; i++)
        for (int s = 0; s < SG_BREAKER__STATES; s++)
            sg_buf_printf(out,
                          "smsgate_provider_breaker_transitions_total{provider=\"%s\",to=\"%s\"} "
                          "%llu\n",
                          b->items[i].name, sg_breaker_state_name((sg_breaker_state)s),
                          (unsigned long long)b->items[i].br.transitions[s]);
    if (b)
        pthread_mutex_unlock(&b->lock);
}
