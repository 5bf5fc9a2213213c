/* When to try a send again and when to stop trying: exponential back-off with
 * jitter for retryable failures, the provider's retry budget (a time, counted
 * from the message's first attempt), an optional cap on attempts, and the
 * message's own validity period. Pure: the caller supplies the clock and the
 * random number. docs/internals/dispatch.md has the rules in prose. */
#ifndef SG_CORE_BACKOFF_H
#define SG_CORE_BACKOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_backoff {
    uint32_t base_ms;      /* delay before the first retry, before jitter */
    uint32_t cap_ms;       /* no delay exceeds this */
    unsigned max_attempts; /* total attempts, the first included; 0 = no cap */
} sg_backoff;

/* Delay before the next attempt, after `attempts` attempts have failed (>= 1):
 * d = min(cap, base * 2^(attempts-1)); result in [d/2, d] ("equal jitter"),
 * chosen by rnd (uniform 32-bit): rnd 0 gives d/2, rnd UINT32_MAX gives d. Never
 * overflows, for any attempts and any base/cap. attempts 0 is read as 1. */
uint32_t sg_backoff_delay_ms(const sg_backoff *b, unsigned attempts, uint32_t rnd);

/* True when `attempts` attempts have been made and the cap allows no more, that
 * is max_attempts > 0 and attempts >= max_attempts (max_attempts 0: never). */
bool sg_backoff_exhausted(const sg_backoff *b, unsigned attempts);

/* ---- the decision after a retryable failure --------------------------------------- */

/* Smsgate's own error codes for a message it stopped trying to send. */
#define SG_CODE_RETRY_BUDGET_EXHAUSTED "retry_budget_exhausted"
#define SG_CODE_EXPIRED                "expired"

typedef enum sg_retry_verdict {
    SG_RETRY_AGAIN = 0,      /* try again at *retry_at */
    SG_RETRY_BUDGET_SPENT,   /* the next attempt would start after first_attempt_at + budget */
    SG_RETRY_ATTEMPTS_SPENT, /* max_attempts attempts have been made */
    SG_RETRY_EXPIRED,        /* the next attempt would start after the message expired */
} sg_retry_verdict;

typedef struct sg_retry_state {
    unsigned attempts;        /* attempts made, the one that just failed included (>= 1) */
    int64_t first_attempt_at; /* ms: when the message's first attempt started */
    int64_t budget_ms;        /* retry for this long after first_attempt_at (>= 0) */
    int64_t expires_at;       /* ms: the message is never sent at or after this; 0 = never */
    int64_t now;              /* ms */
} sg_retry_state;

/* After a retryable failure: SG_RETRY_AGAIN with *retry_at = now + the back-off
 * delay, unless the cap on attempts is reached (SG_RETRY_ATTEMPTS_SPENT) or that
 * time is at or past the end of the budget or the message's expiry; then the
 * verdict names whichever of the two ends first (SG_RETRY_EXPIRED when expiry is
 * no later than the budget's end). A budget of 0 never retries. No arithmetic
 * overflows, whatever the inputs. *retry_at is written only for SG_RETRY_AGAIN. */
sg_retry_verdict sg_retry_decide(const sg_backoff *b, const sg_retry_state *s, uint32_t rnd,
                                 int64_t *retry_at);

/* The error code and the error message for a message given up on with verdict v
 * (not SG_RETRY_AGAIN): the message says which limit was reached, with its
 * value, and ends with last_error (the last provider error; may be NULL or "").
 * Returns the code, a static string. */
const char *sg_retry_give_up(sg_retry_verdict v, const sg_retry_state *s, int64_t validity_s,
                             const char *last_error, char *msg, size_t cap);

/* ---- validity ------------------------------------------------------------------------ */

#define SG_VALIDITY_MIN_S 1
#define SG_VALIDITY_MAX_S (30LL * 24 * 3600)

/* A message's validity counts from when it is due: send_at when it is scheduled
 * later than its creation, else created_at. expires_at = that + validity_s
 * seconds; sg_validity_seconds gives validity_s back from expires_at (0 when
 * expires_at is 0). */
int64_t sg_validity_expires_at(int64_t created_at, int64_t send_at, int64_t validity_s);
int64_t sg_validity_seconds(int64_t created_at, int64_t send_at, int64_t expires_at);
/* True when a message with this expiry (0 = none) must not be sent at now. */
bool sg_validity_expired(int64_t expires_at, int64_t now);

#endif
