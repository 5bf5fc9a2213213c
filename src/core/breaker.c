/* The circuit breaker's state machine (core/breaker.h). */
#include "core/breaker.h"

#include <string.h>

const sg_breaker_config sg_breaker_defaults = {
    .consecutive = 5,
    .rate_percent = 50,
    .min_attempts = 20,
    .window_ms = 60000,
    .cooldown_ms = 30000,
    .probes = 1,
    .successes = 2,
};

bool sg_breaker_config_valid(const sg_breaker_config *c, const char **why)
{
    const char *w = NULL;
    if (c->rate_percent > 100)
        w = "the error rate is a percentage (0-100)";
    else if (c->rate_percent && c->min_attempts == 0)
        w = "the error rate needs at least 1 attempt in its window";
    else if (c->window_ms < SG_BREAKER_SLOTS)
        w = "the window must be at least 10 ms";
    else if (c->cooldown_ms <= 0)
        w = "the cool-down must be positive";
    else if (c->probes == 0 || c->successes == 0)
        w = "probes and successes must be at least 1";
    if (why)
        *why = w;
    return w == NULL;
}

static int64_t slot_width(const sg_breaker_config *c)
{
    return c->window_ms / SG_BREAKER_SLOTS;
}

static void window_clear(sg_breaker *b)
{
    memset(b->slot_start, 0, sizeof b->slot_start);
    memset(b->slot_ok, 0, sizeof b->slot_ok);
    memset(b->slot_fail, 0, sizeof b->slot_fail);
}

void sg_breaker_init(sg_breaker *b, int64_t now)
{
    memset(b, 0, sizeof *b);
    b->state = SG_BREAKER_CLOSED;
    b->since = now;
    b->epoch = 1;
    window_clear(b);
}

/* Move to state to at now: a new epoch (results of earlier admissions go stale),
 * counters of the state left behind cleared. */
static void move(sg_breaker *b, sg_breaker_state to, int64_t now, sg_breaker_reason why,
                 sg_breaker_change *ch)
{
    if (ch) {
        ch->from = b->state;
        ch->to = to;
        ch->reason = why;
    }
    b->state = to;
    b->since = now;
    b->epoch = b->epoch == UINT32_MAX ? 1 : b->epoch + 1;
    b->consecutive = 0;
    b->probes_out = 0;
    b->probe_successes = 0;
    if (to == SG_BREAKER_OPEN)
        b->reason = why;
    b->transitions[to]++;
    window_clear(b);
}

bool sg_breaker_usable(const sg_breaker *b, const sg_breaker_config *c, int64_t now)
{
    switch (b->state) {
    case SG_BREAKER_CLOSED:
        return true;
    case SG_BREAKER_OPEN:
        return now >= b->since + c->cooldown_ms;
    default:
        return b->probes_out < c->probes;
    }
}

uint32_t sg_breaker_admit(sg_breaker *b, const sg_breaker_config *c, int64_t now,
                          sg_breaker_change *ch)
{
    if (ch)
        ch->from = ch->to = b->state;
    if (!sg_breaker_usable(b, c, now))
        return 0;
    if (b->state == SG_BREAKER_OPEN)
        move(b, SG_BREAKER_HALF_OPEN, now, SG_BREAKER_REASON_NONE, ch);
    if (b->state == SG_BREAKER_HALF_OPEN)
        b->probes_out++;
    return b->epoch;
}

void sg_breaker_cancel(sg_breaker *b, uint32_t ticket)
{
    if (ticket == b->epoch && b->state == SG_BREAKER_HALF_OPEN && b->probes_out > 0)
        b->probes_out--;
}

/* The window slot for now, emptied first when it last held an older slot. */
static unsigned slot_at(sg_breaker *b, const sg_breaker_config *c, int64_t now)
{
    int64_t w = slot_width(c);
    int64_t start = now - (now % w);
    unsigned i = (unsigned)((now / w) % SG_BREAKER_SLOTS);
    if (b->slot_start[i] != start) {
        b->slot_start[i] = start;
        b->slot_ok[i] = b->slot_fail[i] = 0;
    }
    return i;
}

void sg_breaker_window(const sg_breaker *b, const sg_breaker_config *c, int64_t now,
                       uint64_t *attempts, uint64_t *failures)
{
    int64_t w = slot_width(c);
    int64_t oldest = now - (now % w) - (SG_BREAKER_SLOTS - 1) * w;
    uint64_t a = 0, f = 0;
    for (unsigned i = 0; i < SG_BREAKER_SLOTS; i++) {
        if (b->slot_start[i] >= oldest && b->slot_start[i] <= now &&
            (b->slot_ok[i] || b->slot_fail[i])) {
            a += b->slot_ok[i] + b->slot_fail[i];
            f += b->slot_fail[i];
        }
    }
    *attempts = a;
    *failures = f;
}

/* Closed, after a failure: which rule (if any) opens the breaker. */
static sg_breaker_reason trips(const sg_breaker *b, const sg_breaker_config *c, int64_t now)
{
    if (c->consecutive && b->consecutive >= c->consecutive)
        return SG_BREAKER_REASON_CONSECUTIVE;
    if (!c->rate_percent)
        return SG_BREAKER_REASON_NONE;
    uint64_t attempts, failures;
    sg_breaker_window(b, c, now, &attempts, &failures);
    if (attempts >= c->min_attempts && failures * 100 >= (uint64_t)c->rate_percent * attempts)
        return SG_BREAKER_REASON_RATE;
    return SG_BREAKER_REASON_NONE;
}

static void record_closed(sg_breaker *b, const sg_breaker_config *c, int64_t now,
                          sg_breaker_result r, sg_breaker_change *ch)
{
    unsigned i = slot_at(b, c, now);
    if (r == SG_BREAKER_SUCCESS) {
        b->slot_ok[i]++;
        b->consecutive = 0;
        return;
    }
    b->slot_fail[i]++;
    b->consecutive++;
    sg_breaker_reason why = trips(b, c, now);
    if (why != SG_BREAKER_REASON_NONE)
        move(b, SG_BREAKER_OPEN, now, why, ch);
}

static void record_half_open(sg_breaker *b, const sg_breaker_config *c, int64_t now,
                             sg_breaker_result r, sg_breaker_change *ch)
{
    if (b->probes_out > 0)
        b->probes_out--;
    if (r == SG_BREAKER_FAILURE) {
        move(b, SG_BREAKER_OPEN, now, SG_BREAKER_REASON_PROBE, ch);
        return;
    }
    if (++b->probe_successes >= c->successes)
        move(b, SG_BREAKER_CLOSED, now, SG_BREAKER_REASON_NONE, ch);
}

void sg_breaker_record(sg_breaker *b, const sg_breaker_config *c, int64_t now, uint32_t ticket,
                       sg_breaker_result r, sg_breaker_change *ch)
{
    if (ch)
        ch->from = ch->to = b->state;
    if (r == SG_BREAKER_NEUTRAL) {
        sg_breaker_cancel(b, ticket);
        return;
    }
    if (r == SG_BREAKER_FAILURE)
        b->failures++;
    else
        b->successes++;
    if (ticket != b->epoch)
        return; /* admitted in a state that has ended */
    if (b->state == SG_BREAKER_CLOSED)
        record_closed(b, c, now, r, ch);
    else if (b->state == SG_BREAKER_HALF_OPEN)
        record_half_open(b, c, now, r, ch);
}

int64_t sg_breaker_next_probe(const sg_breaker *b, const sg_breaker_config *c, int64_t now)
{
    if (b->state == SG_BREAKER_OPEN)
        return b->since + c->cooldown_ms;
    if (b->state == SG_BREAKER_HALF_OPEN && b->probes_out < c->probes)
        return now;
    return 0;
}

const char *sg_breaker_state_name(sg_breaker_state s)
{
    static const char *const names[SG_BREAKER__STATES] = {"closed", "open", "half_open"};
    return (unsigned)s < SG_BREAKER__STATES ? names[s] : "closed";
}

const char *sg_breaker_reason_name(sg_breaker_reason r)
{
    static const char *const names[] = {"", "consecutive", "rate", "probe"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "";
}
