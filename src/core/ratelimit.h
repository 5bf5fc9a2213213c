/* Token bucket: `rate` tokens per second, at most `burst` saved up. Time is passed
 * in by the caller (monotonic milliseconds), so the arithmetic is pure. Not
 * thread-safe: one owner per bucket. */
#ifndef SG_CORE_RATELIMIT_H
#define SG_CORE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sg_bucket {
    double rate;   /* tokens per second, > 0 */
    double burst;  /* capacity, >= 1 */
    double tokens; /* current */
    int64_t last_ms;
} sg_bucket;

/* Starts full. A burst below 1 (or NaN) is raised to 1. */
void sg_bucket_init(sg_bucket *b, double rate, double burst, int64_t now_ms);
/* Take one token if one is available at now_ms. */
bool sg_bucket_take(sg_bucket *b, int64_t now_ms);
/* Milliseconds from now_ms until one token is available (0 if one is now); taking
 * at now_ms + the answer succeeds. Does not change the bucket. INT64_MAX if the
 * rate is not positive. A now_ms earlier than the last one seen adds no tokens. */
int64_t sg_bucket_wait_ms(const sg_bucket *b, int64_t now_ms);

#endif
