#include "core/ratelimit.h"

/* Refills accumulate in many small floating-point steps, so a bucket that should
 * hold exactly one token may hold 0.9999999999. Counting that as a token keeps
 * sg_bucket_take consistent with sg_bucket_wait_ms (which said "now"). */
#define TOKEN_EPSILON 1e-9

void sg_bucket_init(sg_bucket *b, double rate, double burst, int64_t now_ms)
{
    b->rate = rate;
    b->burst = burst >= 1 ? burst : 1; /* also turns NaN into 1 */
    b->tokens = b->burst;
    b->last_ms = now_ms;
}

/* Tokens at now_ms. A time earlier than the last one seen adds nothing (and does
 * not move last_ms back), so a clock step can never mint tokens. */
static double tokens_at(const sg_bucket *b, int64_t now_ms)
{
    double t = b->tokens;
    if (now_ms > b->last_ms && b->rate > 0) {
        t += (double)(now_ms - b->last_ms) * b->rate / 1000.0;
        if (t > b->burst)
            t = b->burst;
    }
    return t;
}

bool sg_bucket_take(sg_bucket *b, int64_t now_ms)
{
    b->tokens = tokens_at(b, now_ms);
    if (now_ms > b->last_ms)
        b->last_ms = now_ms;
    if (b->tokens < 1 - TOKEN_EPSILON)
        return false;
    b->tokens -= 1;
    if (b->tokens < 0)
        b->tokens = 0;
    return true;
}

int64_t sg_bucket_wait_ms(const sg_bucket *b, int64_t now_ms)
{
    double need = 1 - tokens_at(b, now_ms);
    if (need <= TOKEN_EPSILON)
        return 0;
    if (!(b->rate > 0))
        return INT64_MAX;
    double ms = (need - TOKEN_EPSILON) * 1000.0 / b->rate;
    if (ms >= 9.0e18)
        return INT64_MAX;
    int64_t whole = (int64_t)ms; /* rounded up below, without needing libm */
    if ((double)whole < ms)
        whole++;
    return whole < 1 ? 1 : whole;
}
