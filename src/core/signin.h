/* Pure rules of signing in (docs/users.md): the throttle on failed sign-ins, the
 * CSRF token comparison and reading the session cookie out of a Cookie header.
 * No I/O: the counters live in the store (sg_store_signin_*), which applies
 * these rules inside its write transaction. */
#ifndef SG_CORE_SIGNIN_H
#define SG_CORE_SIGNIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A throttle counter: failures counted since window_start (ms), and the time
 * before which further attempts are refused (0: none). */
typedef struct sg_throttle_state {
    int64_t failures;
    int64_t window_start;
    int64_t locked_until;
} sg_throttle_state;

/* How a counter grows: `threshold` failures within `window_ms` of the first lock
 * it out. Exponential rules lock for base_ms, doubling with each further
 * failure, at most cap_ms; the others until the window ends. */
typedef struct sg_throttle_rule {
    int64_t threshold;
    int64_t window_ms;
    bool exponential;
    int64_t base_ms;
    int64_t cap_ms;
} sg_throttle_rule;

/* Per account (the email as typed, lower-cased): 5 failures within an hour lock
 * it for 30 s, then 60 s, 120 s, ... at most 15 min. */
extern const sg_throttle_rule sg_throttle_account;
/* Per client address: 20 failures within 10 minutes lock it until the 10
 * minutes are over. */
extern const sg_throttle_rule sg_throttle_address;

/* The lock-out an exponential rule sets after `failures` failures (0 below the
 * threshold); saturates at cap_ms. */
int64_t sg_throttle_delay_ms(const sg_throttle_rule *r, int64_t failures);
/* Count one failure at `now` into *st (a window that is over starts again). */
void sg_throttle_fail(const sg_throttle_rule *r, sg_throttle_state *st, int64_t now);
/* How long from now attempts are still refused (0: allowed). */
int64_t sg_throttle_wait_ms(const sg_throttle_state *st, int64_t now);
/* Seconds for a Retry-After header: wait_ms rounded up, at least 1. */
int64_t sg_throttle_retry_after_s(int64_t wait_ms);

/* True if the token sent equals the session's (both NUL-terminated), compared in
 * time that depends only on the length of `expected`. NULL or "" never match. */
bool sg_csrf_equal(const char *sent, const char *expected);

/* The value of cookie `name` in a Cookie request header ("a=1; sg_session=xyz")
 * into out (cap bytes). False when the header has no such cookie, its value is
 * empty, or longer than cap - 1 bytes. The first occurrence wins. */
bool sg_cookie_get(const char *header, const char *name, char *out, size_t cap);

/* When a session last used at last_seen ends: idle_ms after that use, but never
 * later than its absolute expiry expires_at (ms). It has ended when now >= this. */
int64_t sg_session_ends_at(int64_t last_seen, int64_t expires_at, int64_t idle_ms);

/* True if s looks like an email address: 3 to 254 bytes, one '@' with text on
 * both sides, a '.' in the domain, no blank, control character, quote or
 * angle bracket. Deliberately loose: the address is a login name, never mailed. */
bool sg_email_valid(const char *s);
/* s with ASCII letters lower-cased into out (cap bytes, cut to fit): the key
 * of an account's sign-in throttle. */
void sg_email_lower(const char *s, char *out, size_t cap);

#endif
