#include "core/backoff.h"

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
    return attempts >= b->max_attempts;
}
