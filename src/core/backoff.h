/* Exponential back-off with jitter for retryable send failures. Pure: the caller
 * supplies the random number. */
#ifndef SG_CORE_BACKOFF_H
#define SG_CORE_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sg_backoff {
    uint32_t base_ms;      /* delay before the first retry, before jitter */
    uint32_t cap_ms;       /* no delay exceeds this */
    unsigned max_attempts; /* total attempts, the first included */
} sg_backoff;

/* Delay before the next attempt, after `attempts` attempts have failed (>= 1):
 * d = min(cap, base * 2^(attempts-1)); result in [d/2, d] ("equal jitter"),
 * chosen by rnd (uniform 32-bit): rnd 0 gives d/2, rnd UINT32_MAX gives d. Never
 * overflows, for any attempts and any base/cap. attempts 0 is read as 1. */
uint32_t sg_backoff_delay_ms(const sg_backoff *b, unsigned attempts, uint32_t rnd);

/* True when `attempts` attempts have been made and no more are allowed, that is
 * attempts >= max_attempts (so max_attempts 0 allows none). */
bool sg_backoff_exhausted(const sg_backoff *b, unsigned attempts);

#endif
