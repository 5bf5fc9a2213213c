/* The one throttle of failed authentication on the compatible surfaces
 * (compat/auth_throttle.h): 20 failures within 10 minutes from one address hold
 * it back until the 10 minutes are over, other addresses go on, and every
 * failure is counted in smsgate_compat_auth_failures_total. The table is
 * process-wide, so each test uses addresses of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compat/auth_throttle.h"
#include "util/buf.h"
#include "util/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MS 60000LL

/* The counter's value as /metrics shows it. */
static unsigned long long failures_metric(void)
{
    sg_buf b;
    sg_buf_init(&b, 1 << 20);
    sg_metrics_gauges g = {0};
    sg_metrics_render(&b, &g);
    const char *line = strstr(sg_buf_cstr(&b), "\nsmsgate_compat_auth_failures_total ");
    unsigned long long v = line ? strtoull(line + 36, NULL, 10) : ~0ULL;
    sg_buf_free(&b);
    return v;
}

static void twenty_failures_hold_an_address_until_the_window_ends(void **state)
{
    (void)state;
    const char *addr = "192.0.2.1";
    int64_t t0 = 1000000;
    for (int i = 0; i < 19; i++) {
        sg_compat_throttle_fail(addr, t0 + i);
        if (sg_compat_throttle_wait(addr, t0 + i) != 0)
            fail_msg("held back after %d failures (the 20th should be the first)", i + 1);
    }
    sg_compat_throttle_fail(addr, t0 + 19);
    int64_t wait = sg_compat_throttle_wait(addr, t0 + 19);
    assert_true(wait > 0 && wait <= 10 * MIN_MS);
    assert_int_equal(sg_compat_throttle_wait(addr, t0 + 10 * MIN_MS), 0);
}

static void other_addresses_go_on(void **state)
{
    (void)state;
    int64_t t0 = 5000000;
    for (int i = 0; i < 25; i++)
        sg_compat_throttle_fail("198.51.100.7", t0);
    assert_true(sg_compat_throttle_wait("198.51.100.7", t0) > 0);
    assert_int_equal(sg_compat_throttle_wait("198.51.100.8", t0), 0);
    assert_int_equal(sg_compat_throttle_wait("2001:db8::7", t0), 0);
}

static void failures_are_counted_in_the_metric(void **state)
{
    (void)state;
    unsigned long long before = failures_metric();
    assert_true(before != ~0ULL);
    sg_compat_throttle_fail("203.0.113.9", 9000000);
    sg_compat_throttle_fail("203.0.113.10", 9000000);
    assert_int_equal(failures_metric(), before + 2);
}

/* A window that is over starts the count again: 19 failures, then 19 more
 * eleven minutes later, never hold the address back. */
static void a_new_window_starts_afresh(void **state)
{
    (void)state;
    const char *addr = "192.0.2.55";
    for (int round = 0; round < 2; round++) {
        int64_t t = 20000000 + round * 11 * MIN_MS;
        for (int i = 0; i < 19; i++)
            sg_compat_throttle_fail(addr, t);
        if (sg_compat_throttle_wait(addr, t) != 0)
            fail_msg("held back in round %d", round);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(twenty_failures_hold_an_address_until_the_window_ends),
        cmocka_unit_test(other_addresses_go_on),
        cmocka_unit_test(failures_are_counted_in_the_metric),
        cmocka_unit_test(a_new_window_starts_afresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
