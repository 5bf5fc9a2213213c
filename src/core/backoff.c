#include "core/backoff.h"

#include <stdio.h>

/* Arithmetic is done in 64 bits: base (< 2^32) shifted by at most 31 stays below
 * 2^63, and past 31 doublings any non-zero base is beyond every 32-bit cap. */
uint32_t sg_backoff_delay_ms(const sg_backoff *b, unsigned attempts, uint32_t rnd)
{
    unsigned shift = attempts > 1 ? attempts - 1 : 0;
    uint64_t d;
    if (b->base_ms == 0)
        d = 0;
    else if (shift >= 32)
        d = b->cap_ms;
    else
        d = (uint64_t)b->base_ms << shift;
    if (d > b->cap_ms)
        d = b->cap_ms;

    /* Equal jitter: half of d is fixed, the other half is spread uniformly.
     * (rnd * span) >> 32 maps rnd onto [0, span) without a modulo bias worth
     * mentioning, and rnd = UINT32_MAX reaches the top, so the result is in
     * [d/2, d]. */
    uint64_t half = d / 2;
    uint64_t span = d - half + 1;
    return (uint32_t)(half + (((uint64_t)rnd * span) >> 32));
}

bool sg_backoff_exhausted(const sg_backoff *b, unsigned attempts)
{
    return b->max_attempts > 0 && attempts >= b->max_attempts;
}

/* a + b, clamped to INT64_MAX (both are times or durations, never negative in
 * practice; a negative b counts as 0). */
static int64_t add_sat(int64_t a, int64_t b)
{
    if (b <= 0)
        return a;
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

sg_retry_verdict sg_retry_decide(const sg_backoff *b, const sg_retry_state *s, uint32_t rnd,
                                 int64_t *retry_at)
{
    if (sg_backoff_exhausted(b, s->attempts))
        return SG_RETRY_ATTEMPTS_SPENT;
    int64_t at = add_sat(s->now, sg_backoff_delay_ms(b, s->attempts, rnd));
    int64_t budget_end = add_sat(s->first_attempt_at, s->budget_ms);
    /* The earlier of the two ends is the one that stops the message. */
    if (s->expires_at > 0 && s->expires_at <= budget_end && at >= s->expires_at)
        return SG_RETRY_EXPIRED;
    if (at >= budget_end)
        return SG_RETRY_BUDGET_SPENT;
    *retry_at = at;
    return SG_RETRY_AGAIN;
}

const char *sg_retry_give_up(sg_retry_verdict v, const sg_retry_state *s, int64_t validity_s,
                             const char *last_error, char *msg, size_t cap)
{
    bool has_last = last_error && *last_error;
    const char *sep = has_last ? "; last error: " : "";
    const char *last = has_last ? last_error : "";
    switch (v) {
    case SG_RETRY_EXPIRED:
        snprintf(msg, cap, "validity period of %lld s ran out before the message could be sent%s%s",
                 (long long)validity_s, sep, last);
        return SG_CODE_EXPIRED;
    case SG_RETRY_ATTEMPTS_SPENT:
        snprintf(msg, cap, "gave up after %u attempts (--max-attempts)%s%s", s->attempts, sep,
                 last);
        return SG_CODE_RETRY_BUDGET_EXHAUSTED;
    case SG_RETRY_BUDGET_SPENT:
    case SG_RETRY_AGAIN:
    default:
        snprintf(msg, cap,
                 "retry budget of %lld s (the provider's retry_for_seconds) spent after "
                 "%u attempts%s%s",
                 (long long)(s->budget_ms / 1000), s->attempts, sep, last);
        return SG_CODE_RETRY_BUDGET_EXHAUSTED;
    }
}

int64_t sg_validity_expires_at(int64_t created_at, int64_t send_at, int64_t validity_s)
{
    if (validity_s <= 0)
        return 0;
    int64_t due = send_at > created_at ? send_at : created_at;
    int64_t ms = validity_s > INT64_MAX / 1000 ? INT64_MAX : validity_s * 1000;
    return add_sat(due, ms);
}

int64_t sg_validity_seconds(int64_t created_at, int64_t send_at, int64_t expires_at)
{
    if (expires_at <= 0)
        return 0;
    int64_t due = send_at > created_at ? send_at : created_at;
    return expires_at > due ? (expires_at - due) / 1000 : 0;
}

bool sg_validity_expired(int64_t expires_at, int64_t now)
{
    return expires_at > 0 && now >= expires_at;
}
