/* The circuit breaker's state machine (core/breaker.h) with a fake clock: every
 * transition, the probes' bound, stale results and the window's edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/breaker.h"

#include <stdio.h>
#include <string.h>

static const sg_breaker_config cfg = {
    .consecutive = 3,
    .rate_percent = 50,
    .min_attempts = 10,
    .window_ms = 10000,
    .cooldown_ms = 5000,
    .probes = 2,
    .successes = 2,
};

/* Admit one send at now and record r for it; returns the change. */
static sg_breaker_change send_one(sg_breaker *b, const sg_breaker_config *c, int64_t now,
                                  sg_breaker_result r)
{
    sg_breaker_change ch;
    uint32_t t = sg_breaker_admit(b, c, now, &ch);
    assert_int_not_equal(t, 0);
    sg_breaker_record(b, c, now, t, r, &ch);
    return ch;
}

static void assert_state(const sg_breaker *b, sg_breaker_state want, const char *when)
{
    if (b->state != want)
        fail_msg("%s: state %s, want %s", when, sg_breaker_state_name(b->state),
                 sg_breaker_state_name(want));
}

/* Trip b open at now with cfg's consecutive rule. */
static void trip(sg_breaker *b, int64_t now)
{
    for (unsigned i = 0; i < cfg.consecutive; i++)
        send_one(b, &cfg, now, SG_BREAKER_FAILURE);
    assert_state(b, SG_BREAKER_OPEN, "after the trip");
}

static void test_closed_to_open_consecutive(void **state)
{
    (void)state;
    sg_breaker b;
    sg_breaker_init(&b, 1000);
    send_one(&b, &cfg, 1000, SG_BREAKER_FAILURE);
    send_one(&b, &cfg, 1001, SG_BREAKER_FAILURE);
    assert_state(&b, SG_BREAKER_CLOSED, "two failures of three");
    sg_breaker_change ch = send_one(&b, &cfg, 1002, SG_BREAKER_FAILURE);
    assert_state(&b, SG_BREAKER_OPEN, "three failures in a row");
    assert_int_equal(ch.from, SG_BREAKER_CLOSED);
    assert_int_equal(ch.to, SG_BREAKER_OPEN);
    assert_int_equal(ch.reason, SG_BREAKER_REASON_CONSECUTIVE);
    assert_int_equal(b.since, 1002);
    assert_int_equal(b.transitions[SG_BREAKER_OPEN], 1);
    assert_string_equal(sg_breaker_reason_name(b.reason), "consecutive");
}

static void test_success_resets_the_run(void **state)
{
    (void)state;
    sg_breaker b;
    sg_breaker_init(&b, 0);
    /* F F S F F: never three in a row, and 4 of 5 is under min_attempts. */
    const sg_breaker_result seq[] = {SG_BREAKER_FAILURE, SG_BREAKER_FAILURE, SG_BREAKER_SUCCESS,
                                     SG_BREAKER_FAILURE, SG_BREAKER_FAILURE};
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
        send_one(&b, &cfg, 10 + (int64_t)i, seq[i]);
    assert_state(&b, SG_BREAKER_CLOSED, "F F S F F");
    assert_int_equal(b.consecutive, 2);
}

static void test_neutral_changes_nothing(void **state)
{
    (void)state;
    sg_breaker b;
    sg_breaker_init(&b, 0);
    send_one(&b, &cfg, 1, SG_BREAKER_FAILURE);
    send_one(&b, &cfg, 2, SG_BREAKER_FAILURE);
    send_one(&b, &cfg, 3, SG_BREAKER_NEUTRAL);
    assert_int_equal(b.consecutive, 2);
    assert_int_equal(b.failures, 2);
    assert_int_equal(b.successes, 0);
}

static void test_closed_to_open_rate(void **state)
{
    (void)state;
    sg_breaker_config c = cfg;
    c.consecutive = 0; /* the rate alone */
    sg_breaker b;
    sg_breaker_init(&b, 0);
    /* S F S F ... : 50 % once 10 attempts are in the window. */
    sg_breaker_change ch = {0};
    for (int i = 0; i < 9; i++) {
        ch = send_one(&b, &c, 100 + i, i % 2 ? SG_BREAKER_FAILURE : SG_BREAKER_SUCCESS);
        if (b.state != SG_BREAKER_CLOSED)
            fail_msg("opened at attempt %d, before min_attempts", i + 1);
    }
    ch = send_one(&b, &c, 110, SG_BREAKER_FAILURE); /* 5 of 10 */
    assert_state(&b, SG_BREAKER_OPEN, "5 failures of 10 at 50 %");
    assert_int_equal(ch.reason, SG_BREAKER_REASON_RATE);
}

static void test_rate_below_threshold_stays_closed(void **state)
{
    (void)state;
    sg_breaker_config c = cfg;
    c.consecutive = 0;
    sg_breaker b;
    sg_breaker_init(&b, 0);
    /* S S F repeated: 33 % over 30 attempts. */
    for (int i = 0; i < 30; i++)
        send_one(&b, &c, i, i % 3 == 2 ? SG_BREAKER_FAILURE : SG_BREAKER_SUCCESS);
    assert_state(&b, SG_BREAKER_CLOSED, "33 % failures at 50 %");
}

/* Failures older than the window do not count toward the rate. */
static void test_rate_window_forgets(void **state)
{
    (void)state;
    sg_breaker_config c = cfg;
    c.consecutive = 0;
    sg_breaker b;
    sg_breaker_init(&b, 0);
    for (int i = 0; i < 9; i++) /* 9 failures at t=0..8: one short of min_attempts */
        send_one(&b, &c, i, SG_BREAKER_FAILURE);
    uint64_t a, f;
    sg_breaker_window(&b, &c, 9, &a, &f);
    assert_int_equal(a, 9);
    /* A whole window later they are gone: the 10th attempt alone cannot trip it. */
    send_one(&b, &c, 20000, SG_BREAKER_FAILURE);
    assert_state(&b, SG_BREAKER_CLOSED, "old failures out of the window");
    sg_breaker_window(&b, &c, 20000, &a, &f);
    assert_int_equal(a, 1);
    assert_int_equal(f, 1);
    /* At the window's edge: a slot 9 widths back still counts, 10 back does not. */
    sg_breaker_init(&b, 0);
    send_one(&b, &c, 0, SG_BREAKER_FAILURE);
    sg_breaker_window(&b, &c, 9999, &a, &f);
    assert_int_equal(a, 1);
    sg_breaker_window(&b, &c, 10000, &a, &f);
    assert_int_equal(a, 0);
}

static void test_open_refuses_until_cooldown(void **state)
{
    (void)state;
    sg_breaker b;
    sg_breaker_init(&b, 0);
    trip(&b, 1000);
    assert_false(sg_breaker_usable(&b, &cfg, 1000));
    assert_false(sg_breaker_usable(&b, &cfg, 5999));
    assert_int_equal(sg_breaker_admit(&b, &cfg, 5999, NULL), 0);
    assert_int_equal(sg_breaker_next_probe(&b, &cfg, 2000), 6000);
    assert_true(sg_breaker_usable(&b, &cfg, 6000));
    assert_state(&b, SG_BREAKER_OPEN, "usable does not move it");
}

static void test_open_to_half_open_bounded_probes(void **state)
{
    (void)state;
    sg_breaker b;
    sg_breaker_init(&b, 0);
    trip(&b, 1000);
    sg_breaker_change ch;
    uint32_t t1 = sg_breaker_admit(&b, &cfg, 6000, &ch);
    assert_int_not_equal(t1, 0);
    assert_state(&b, SG_BREAKER_HALF_OPEN, "first admission after the cool-down");
    assert_int_equal(ch.from, SG_BREAKER_OPEN);
    assert_int_equal(ch.to, SG_BREAKER_HALF_OPEN);
    uint32_t t2 = sg_breaker_admit(&b, &cfg, 6001, &ch);
    assert_int_equal(t2, t1);
    assert_int_equal(ch.from, ch.to); /* no transition */
    /* Two probes out of two: the third waits. */
    assert_false(sg_breaker_usable(&b, &cfg, 6002));
    assert_int_equal(sg_breaker_admit(&b, &cfg, 6002, NULL), 0);
    assert_int_equal(sg_breaker_next_probe(&b, &cfg, 6002), 0);
    /* A cancelled probe gives its slot back. */
    sg_breaker_cancel(&b, t2);
    assert_true(sg_breaker_usable(&b, &cfg, 6003));
    assert_int_equal(sg_breaker_next_probe(&b, &cfg, 6003), 6003);
}

static void test_half_open_to_closed_after_successes(void **state)
{
    (void)state;
    sg_breaker b;
    sg_breaker_init(&b, 0);
    trip(&b, 1000);
    sg_breaker_change ch;
    uint32_t t = sg_breaker_admit(&b, &cfg, 6000, NULL);
    sg_breaker_record(&b, &cfg, 6100, t, SG_BREAKER_SUCCESS, &ch);
    assert_state(&b, SG_BREAKER_HALF_OPEN, "one success of two");
    assert_int_equal(ch.from, ch.to);
    t = sg_breaker_admit(&b, &cfg, 6200, NULL);
    sg_breaker_record(&b, &cfg, 6300, t, SG_BREAKER_SUCCESS, &ch);
    assert_state(&b, SG_BREAKER_CLOSED, "two successes of two");
    assert_int_equal(ch.from, SG_BREAKER_HALF_OPEN);
    assert_int_equal(ch.to, SG_BREAKER_CLOSED);
    assert_int_equal(b.since, 6300);
    assert_int_equal(b.consecutive, 0);
    /* Closed afresh: the failures before the trip are forgotten. */
    send_one(&b, &cfg, 6400, SG_BREAKER_FAILURE);
    send_one(&b, &cfg, 6401, SG_BREAKER_FAILURE);
    assert_state(&b, SG_BREAKER_CLOSED, "two failures after closing");
}

static void test_half_open_to_open_on_failure(void **state)
{
    (void)state;
    sg_breaker b;
    sg_breaker_init(&b, 0);
    trip(&b, 1000);
    uint32_t t1 = sg_breaker_admit(&b, &cfg, 6000, NULL);
    uint32_t t2 = sg_breaker_admit(&b, &cfg, 6000, NULL);
    sg_breaker_change ch;
    sg_breaker_record(&b, &cfg, 6050, t1, SG_BREAKER_SUCCESS, &ch);
    sg_breaker_record(&b, &cfg, 6100, t2, SG_BREAKER_FAILURE, &ch);
    assert_state(&b, SG_BREAKER_OPEN, "a probe failed");
    assert_int_equal(ch.from, SG_BREAKER_HALF_OPEN);
    assert_int_equal(ch.reason, SG_BREAKER_REASON_PROBE);
    /* A new cool-down from the failure. */
    assert_false(sg_breaker_usable(&b, &cfg, 11099));
    assert_true(sg_breaker_usable(&b, &cfg, 11100));
    assert_int_equal(b.transitions[SG_BREAKER_OPEN], 2);
    assert_int_equal(b.transitions[SG_BREAKER_HALF_OPEN], 1);
}

/* Sends started while closed and answered after the breaker opened (or after it
 * went half-open) change nothing: only the current epoch's results move it. */
static void test_stale_results_ignored(void **state)
{
    (void)state;
    sg_breaker b;
    sg_breaker_init(&b, 0);
    uint32_t early[5];
    for (int i = 0; i < 5; i++)
        early[i] = sg_breaker_admit(&b, &cfg, 10, NULL);
    for (int i = 0; i < 3; i++)
        sg_breaker_record(&b, &cfg, 20, early[i], SG_BREAKER_FAILURE, NULL);
    assert_state(&b, SG_BREAKER_OPEN, "three of five failed");
    sg_breaker_record(&b, &cfg, 21, early[3], SG_BREAKER_SUCCESS, NULL);
    assert_state(&b, SG_BREAKER_OPEN, "a stale success while open");
    uint32_t probe = sg_breaker_admit(&b, &cfg, 5020, NULL);
    sg_breaker_record(&b, &cfg, 5021, early[4], SG_BREAKER_FAILURE, NULL);
    assert_state(&b, SG_BREAKER_HALF_OPEN, "a stale failure while half-open");
    assert_int_equal(b.probes_out, 1);
    sg_breaker_cancel(&b, early[4]);
    assert_int_equal(b.probes_out, 1); /* a stale cancel gives nothing back */
    sg_breaker_record(&b, &cfg, 5030, probe, SG_BREAKER_SUCCESS, NULL);
    assert_int_equal(b.failures, 4);
    assert_int_equal(b.successes, 2);
}

static void test_config_checks(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_true(sg_breaker_config_valid(&sg_breaker_defaults, &why));
    struct {
        const char *name;
        sg_breaker_config c;
    } bad[] = {
        {"rate over 100", {3, 101, 10, 10000, 5000, 1, 1}},
        {"rate with no minimum", {3, 50, 0, 10000, 5000, 1, 1}},
        {"window under 10 ms", {3, 50, 10, 9, 5000, 1, 1}},
        {"zero cool-down", {3, 50, 10, 10000, 0, 1, 1}},
        {"zero probes", {3, 50, 10, 10000, 5000, 0, 1}},
        {"zero successes", {3, 50, 10, 10000, 5000, 1, 0}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        if (sg_breaker_config_valid(&bad[i].c, &why) || !why)
            fail_msg("%s: accepted", bad[i].name);
    }
    sg_breaker_config off = {0, 0, 0, 10000, 5000, 1, 1}; /* both rules off: never opens */
    assert_true(sg_breaker_config_valid(&off, NULL));
    sg_breaker b;
    sg_breaker_init(&b, 0);
    for (int i = 0; i < 100; i++)
        send_one(&b, &off, i, SG_BREAKER_FAILURE);
    assert_state(&b, SG_BREAKER_CLOSED, "both rules off");
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(sg_breaker_state_name(SG_BREAKER_CLOSED), "closed");
    assert_string_equal(sg_breaker_state_name(SG_BREAKER_OPEN), "open");
    assert_string_equal(sg_breaker_state_name(SG_BREAKER_HALF_OPEN), "half_open");
    assert_string_equal(sg_breaker_reason_name(SG_BREAKER_REASON_RATE), "rate");
    assert_string_equal(sg_breaker_reason_name(SG_BREAKER_REASON_PROBE), "probe");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_closed_to_open_consecutive),
        cmocka_unit_test(test_success_resets_the_run),
        cmocka_unit_test(test_neutral_changes_nothing),
        cmocka_unit_test(test_closed_to_open_rate),
        cmocka_unit_test(test_rate_below_threshold_stays_closed),
        cmocka_unit_test(test_rate_window_forgets),
        cmocka_unit_test(test_open_refuses_until_cooldown),
        cmocka_unit_test(test_open_to_half_open_bounded_probes),
        cmocka_unit_test(test_half_open_to_closed_after_successes),
        cmocka_unit_test(test_half_open_to_open_on_failure),
        cmocka_unit_test(test_stale_results_ignored),
        cmocka_unit_test(test_config_checks),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
