#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/backoff.h"

#include <string.h>

static const uint32_t rnds[] = {0,           1,           12345,          0x7fffffffu,
                                0x80000000u, 0xdeadbeefu, UINT32_MAX - 1, UINT32_MAX};

/* Over every sample, the delay stays in [d/2, d]; the extremes of rnd reach both
 * ends. */
static void check_range(const sg_backoff *b, unsigned attempts, uint32_t d)
{
    for (size_t i = 0; i < sizeof rnds / sizeof rnds[0]; i++) {
        uint32_t got = sg_backoff_delay_ms(b, attempts, rnds[i]);
        assert_in_range(got, d / 2, d);
    }
    assert_int_equal(sg_backoff_delay_ms(b, attempts, 0), d / 2);
    assert_int_equal(sg_backoff_delay_ms(b, attempts, UINT32_MAX), d);
}

static void test_range_and_growth(void **state)
{
    sg_backoff b = {.base_ms = 1000, .cap_ms = 60000, .max_attempts = 5};
    check_range(&b, 1, 1000);
    check_range(&b, 2, 2000);
    check_range(&b, 3, 4000);
    check_range(&b, 4, 8000);
    check_range(&b, 6, 32000);
    check_range(&b, 7, 60000); /* 64000 capped */
    check_range(&b, 8, 60000);
    /* Same rnd, more attempts: never shorter. */
    for (size_t i = 0; i < sizeof rnds / sizeof rnds[0]; i++) {
        uint32_t prev = 0;
        for (unsigned a = 1; a < 100; a++) {
            uint32_t d = sg_backoff_delay_ms(&b, a, rnds[i]);
            assert_true(d >= prev);
            assert_true(d <= 60000);
            prev = d;
        }
    }
    /* The middle of the rnd range lands in the middle of the window. */
    uint32_t mid = sg_backoff_delay_ms(&b, 3, 0x80000000u);
    assert_in_range(mid, 2990, 3010);
}

static void test_no_overflow(void **state)
{
    sg_backoff b = {.base_ms = UINT32_MAX, .cap_ms = UINT32_MAX, .max_attempts = 3};
    check_range(&b, 1, UINT32_MAX);
    check_range(&b, 2, UINT32_MAX);
    check_range(&b, 40, UINT32_MAX);
    check_range(&b, UINT32_MAX, UINT32_MAX);

    sg_backoff small = {.base_ms = 3, .cap_ms = 3600000, .max_attempts = 3};
    check_range(&small, 31, 3600000); /* 3 << 30 > cap */
    check_range(&small, 32, 3600000);
    check_range(&small, 33, 3600000); /* a 32-bit shift would wrap to 0 here */
    check_range(&small, 64, 3600000);
    check_range(&small, 65, 3600000);
    check_range(&small, 1000000, 3600000);
    check_range(&small, UINT32_MAX, 3600000);
}

static void test_edge_configs(void **state)
{
    sg_backoff zero = {.base_ms = 0, .cap_ms = 1000, .max_attempts = 3};
    check_range(&zero, 1, 0);
    check_range(&zero, 50, 0);
    sg_backoff capped = {.base_ms = 5000, .cap_ms = 1000, .max_attempts = 3};
    check_range(&capped, 1, 1000);
    /* attempts = 0 is read as the first retry rather than a shift by -1. */
    sg_backoff b = {.base_ms = 1000, .cap_ms = 60000, .max_attempts = 3};
    check_range(&b, 0, 1000);
    sg_backoff one = {.base_ms = 1, .cap_ms = 1, .max_attempts = 3};
    check_range(&one, 1, 1); /* [0, 1] */
}

static void test_exhausted(void **state)
{
    sg_backoff b = {.base_ms = 1000, .cap_ms = 60000, .max_attempts = 5};
    for (unsigned a = 0; a < 5; a++)
        assert_false(sg_backoff_exhausted(&b, a));
    assert_true(sg_backoff_exhausted(&b, 5));
    assert_true(sg_backoff_exhausted(&b, 6));
    assert_true(sg_backoff_exhausted(&b, UINT32_MAX));
    sg_backoff once = {.base_ms = 1000, .cap_ms = 60000, .max_attempts = 1};
    assert_false(sg_backoff_exhausted(&once, 0));
    assert_true(sg_backoff_exhausted(&once, 1));
    /* 0 is no cap: the time budget alone decides. */
    sg_backoff none = {.base_ms = 1000, .cap_ms = 60000, .max_attempts = 0};
    assert_false(sg_backoff_exhausted(&none, 0));
    assert_false(sg_backoff_exhausted(&none, 8));
    assert_false(sg_backoff_exhausted(&none, UINT32_MAX));
}

#define HOUR_MS (3600LL * 1000)

/* Fail every attempt from t = 0, each retry at its scheduled time, until the
 * decision is no longer "again"; *last_at gets when the last attempt started. */
static sg_retry_verdict run_outage(const sg_backoff *b, int64_t budget_ms, int64_t expires_at,
                                   uint32_t rnd, unsigned *attempts, int64_t *last_at)
{
    sg_retry_state s = {.attempts = 0,
                        .first_attempt_at = 0,
                        .budget_ms = budget_ms,
                        .expires_at = expires_at,
                        .now = 0};
    for (;;) {
        s.attempts++;
        *attempts = s.attempts;
        *last_at = s.now;
        int64_t at = -1;
        sg_retry_verdict v = sg_retry_decide(b, &s, rnd, &at);
        if (v != SG_RETRY_AGAIN)
            return v;
        if (at <= s.now)
            fail_msg("attempt %u: retry at %lld is not after now %lld", s.attempts, (long long)at,
                     (long long)s.now);
        s.now = at;
    }
}

/* The issue: 8 attempts from 2 s (the old defaults) gave up after about four
 * minutes. With the defaults now (2 s doubling to a 5 min cap, no attempt cap,
 * a 24 h budget) an outage is retried for the whole day, whatever the jitter:
 * the last attempt starts within one capped delay of the budget's end. */
static void test_budget_covers_a_long_outage(void **state)
{
    sg_backoff b = {.base_ms = 2000, .cap_ms = 300000, .max_attempts = 0};
    const uint32_t jitters[] = {0, 0x80000000u, UINT32_MAX};
    for (size_t i = 0; i < sizeof jitters / sizeof jitters[0]; i++) {
        unsigned attempts;
        int64_t last;
        sg_retry_verdict v = run_outage(&b, 24 * HOUR_MS, 0, jitters[i], &attempts, &last);
        if (v != SG_RETRY_BUDGET_SPENT)
            fail_msg("rnd %#x: verdict %d, expected budget spent", jitters[i], v);
        if (last >= 24 * HOUR_MS || last < 24 * HOUR_MS - 300000)
            fail_msg("rnd %#x: last attempt at %lld ms, expected in [24 h - 5 min, 24 h)",
                     jitters[i], (long long)last);
        /* 24 h at one attempt per 2.5-5 min, after the first doublings */
        if (attempts < 280 || attempts > 590)
            fail_msg("rnd %#x: %u attempts in 24 h", jitters[i], attempts);
    }
    /* The old schedule (cap 10 min, 8 attempts) stopped after minutes, not a day. */
    sg_backoff old = {.base_ms = 2000, .cap_ms = 600000, .max_attempts = 8};
    unsigned attempts;
    int64_t last;
    assert_int_equal(run_outage(&old, 24 * HOUR_MS, 0, UINT32_MAX, &attempts, &last),
                     SG_RETRY_ATTEMPTS_SPENT);
    assert_int_equal(attempts, 8);
    assert_true(last < 5 * 60 * 1000);
}

/* rnd UINT32_MAX with base = cap gives a delay of exactly cap: the boundaries
 * can be hit to the millisecond. */
static void test_budget_boundary(void **state)
{
    sg_backoff b = {.base_ms = 1000, .cap_ms = 1000, .max_attempts = 0};
    sg_retry_state s = {.attempts = 3, .first_attempt_at = 10000, .budget_ms = 5000, .now = 13999};
    int64_t at = -1;
    assert_int_equal(sg_retry_decide(&b, &s, UINT32_MAX, &at), SG_RETRY_AGAIN);
    assert_int_equal(at, 14999); /* starts before 15000, the budget's end */
    s.now = 14000;
    at = -1;
    assert_int_equal(sg_retry_decide(&b, &s, UINT32_MAX, &at), SG_RETRY_BUDGET_SPENT);
    assert_int_equal(at, -1); /* untouched */
    /* the smaller jitter still fits */
    assert_int_equal(sg_retry_decide(&b, &s, 0, &at), SG_RETRY_AGAIN);
    assert_int_equal(at, 14500);
    /* a budget of 0 never retries */
    sg_retry_state zero = {.attempts = 1, .first_attempt_at = 10000, .budget_ms = 0, .now = 10000};
    assert_int_equal(sg_retry_decide(&b, &zero, 0, &at), SG_RETRY_BUDGET_SPENT);
    /* the budget counts from the first attempt, not from this one */
    sg_retry_state late = {.attempts = 2, .first_attempt_at = 0, .budget_ms = 60000, .now = 59500};
    assert_int_equal(sg_retry_decide(&b, &late, 0, &at), SG_RETRY_BUDGET_SPENT);
}

static void test_attempt_cap(void **state)
{
    sg_backoff b = {.base_ms = 10, .cap_ms = 50, .max_attempts = 3};
    sg_retry_state s = {.attempts = 2, .first_attempt_at = 0, .budget_ms = HOUR_MS, .now = 100};
    int64_t at;
    assert_int_equal(sg_retry_decide(&b, &s, 0, &at), SG_RETRY_AGAIN);
    s.attempts = 3;
    assert_int_equal(sg_retry_decide(&b, &s, 0, &at), SG_RETRY_ATTEMPTS_SPENT);
    /* the cap is checked first: it applies inside the budget */
    s.attempts = 4;
    s.now = 2 * HOUR_MS;
    assert_int_equal(sg_retry_decide(&b, &s, 0, &at), SG_RETRY_ATTEMPTS_SPENT);
}

static void test_expiry(void **state)
{
    sg_backoff b = {.base_ms = 1000, .cap_ms = 1000, .max_attempts = 0};
    int64_t at = -1;
    /* expiry before the budget's end: it decides */
    sg_retry_state s = {
        .attempts = 1, .first_attempt_at = 0, .budget_ms = 60000, .expires_at = 5000, .now = 3999};
    assert_int_equal(sg_retry_decide(&b, &s, UINT32_MAX, &at), SG_RETRY_AGAIN);
    assert_int_equal(at, 4999);
    s.now = 4000;
    assert_int_equal(sg_retry_decide(&b, &s, UINT32_MAX, &at), SG_RETRY_EXPIRED);
    /* expiry equal to the budget's end: expired (the message's own limit) */
    s.budget_ms = 5000;
    assert_int_equal(sg_retry_decide(&b, &s, UINT32_MAX, &at), SG_RETRY_EXPIRED);
    /* the budget ends first: budget spent, although the next try is also past expiry */
    s.budget_ms = 4500;
    assert_int_equal(sg_retry_decide(&b, &s, UINT32_MAX, &at), SG_RETRY_BUDGET_SPENT);
    /* already expired */
    s.budget_ms = 60000;
    s.now = 7000;
    assert_int_equal(sg_retry_decide(&b, &s, 0, &at), SG_RETRY_EXPIRED);
    /* no expiry */
    s.expires_at = 0;
    assert_int_equal(sg_retry_decide(&b, &s, 0, &at), SG_RETRY_AGAIN);
    /* a whole outage against a validity of 3 s with a day's budget */
    sg_backoff fast = {.base_ms = 10, .cap_ms = 50, .max_attempts = 0};
    unsigned attempts;
    int64_t last;
    assert_int_equal(run_outage(&fast, 24 * HOUR_MS, 3000, 0x12345678u, &attempts, &last),
                     SG_RETRY_EXPIRED);
    assert_true(last < 3000 && last >= 3000 - 50);
    assert_true(attempts > 60);
}

static void test_decide_no_overflow(void **state)
{
    sg_backoff b = {.base_ms = UINT32_MAX, .cap_ms = UINT32_MAX, .max_attempts = 0};
    int64_t at = -1;
    sg_retry_state s = {.attempts = UINT32_MAX,
                        .first_attempt_at = INT64_MAX - 10,
                        .budget_ms = INT64_MAX,
                        .expires_at = 0,
                        .now = INT64_MAX - 5};
    /* now + delay saturates at INT64_MAX, as does the budget's end */
    assert_int_equal(sg_retry_decide(&b, &s, UINT32_MAX, &at), SG_RETRY_BUDGET_SPENT);
    s.expires_at = INT64_MAX;
    assert_int_equal(sg_retry_decide(&b, &s, UINT32_MAX, &at), SG_RETRY_EXPIRED);
    sg_retry_state neg = {.attempts = 1, .first_attempt_at = 0, .budget_ms = -5, .now = 0};
    assert_int_equal(sg_retry_decide(&b, &neg, 0, &at), SG_RETRY_BUDGET_SPENT);
}

static void check_give_up(sg_retry_verdict v, const sg_retry_state *s, int64_t validity_s,
                          const char *last, const char *code, const char *want)
{
    char msg[512];
    const char *got = sg_retry_give_up(v, s, validity_s, last, msg, sizeof msg);
    if (strcmp(got, code) != 0)
        fail_msg("verdict %d: code %s, expected %s", v, got, code);
    if (strcmp(msg, want) != 0)
        fail_msg("verdict %d: message\n  '%s'\nexpected\n  '%s'", v, msg, want);
}

static void test_give_up_texts(void **state)
{
    sg_retry_state s = {.attempts = 12, .budget_ms = 3000};
    check_give_up(SG_RETRY_BUDGET_SPENT, &s, 0, "503 Service Unavailable", "retry_budget_exhausted",
                  "retry budget of 3 s (the provider's retry_for_seconds) spent after 12 attempts; "
                  "last error: 503 Service Unavailable");
    check_give_up(SG_RETRY_ATTEMPTS_SPENT, &s, 0, NULL, "retry_budget_exhausted",
                  "gave up after 12 attempts (--max-attempts)");
    check_give_up(SG_RETRY_EXPIRED, &s, 1, "Couldn't connect to server", "expired",
                  "validity period of 1 s ran out before the message could be sent; last error: "
                  "Couldn't connect to server");
    check_give_up(SG_RETRY_EXPIRED, &s, 600, "", "expired",
                  "validity period of 600 s ran out before the message could be sent");
    /* a small buffer truncates, never overflows */
    char tiny[8];
    assert_string_equal(sg_retry_give_up(SG_RETRY_EXPIRED, &s, 1, "x", tiny, sizeof tiny),
                        "expired");
    assert_int_equal(strlen(tiny), 7);
}

static void test_validity(void **state)
{
    /* from created_at when not scheduled (or scheduled in the past) */
    assert_int_equal(sg_validity_expires_at(1000, 0, 60), 61000);
    assert_int_equal(sg_validity_expires_at(1000, 500, 60), 61000);
    /* from send_at when scheduled later */
    assert_int_equal(sg_validity_expires_at(1000, 50000, 60), 110000);
    /* none */
    assert_int_equal(sg_validity_expires_at(1000, 0, 0), 0);
    assert_int_equal(sg_validity_expires_at(1000, 0, -1), 0);
    /* saturates */
    assert_true(sg_validity_expires_at(INT64_MAX - 10, 0, INT64_MAX) == INT64_MAX);
    /* and back */
    assert_int_equal(sg_validity_seconds(1000, 0, 61000), 60);
    assert_int_equal(sg_validity_seconds(1000, 50000, 110000), 60);
    assert_int_equal(sg_validity_seconds(1000, 0, 0), 0);
    assert_int_equal(sg_validity_seconds(1000, 0, 500), 0);
    int64_t max = SG_VALIDITY_MAX_S;
    assert_int_equal(sg_validity_seconds(1000, 0, sg_validity_expires_at(1000, 0, max)), max);
    /* expired from the expiry itself on */
    assert_false(sg_validity_expired(0, INT64_MAX));
    assert_false(sg_validity_expired(5000, 4999));
    assert_true(sg_validity_expired(5000, 5000));
    assert_true(sg_validity_expired(5000, 5001));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_and_growth),
        cmocka_unit_test(test_no_overflow),
        cmocka_unit_test(test_edge_configs),
        cmocka_unit_test(test_exhausted),
        cmocka_unit_test(test_budget_covers_a_long_outage),
        cmocka_unit_test(test_budget_boundary),
        cmocka_unit_test(test_attempt_cap),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_decide_no_overflow),
        cmocka_unit_test(test_give_up_texts),
        cmocka_unit_test(test_validity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
