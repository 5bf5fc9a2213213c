#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ratelimit.h"

static void test_starts_full_and_drains(void **state)
{
    sg_bucket b;
    sg_bucket_init(&b, 10, 5, 1000);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sg_bucket_wait_ms(&b, 1000), 0);
        assert_true(sg_bucket_take(&b, 1000));
    }
    assert_false(sg_bucket_take(&b, 1000));
    assert_int_equal(sg_bucket_wait_ms(&b, 1000), 100);
    assert_false(sg_bucket_take(&b, 1099));
    assert_true(sg_bucket_take(&b, 1100));
    assert_false(sg_bucket_take(&b, 1100));
}

static void test_refill_rate(void **state)
{
    sg_bucket b;
    sg_bucket_init(&b, 100, 1, 0);
    assert_true(sg_bucket_take(&b, 0));
    /* Over 10 s at 100/s, taking whenever possible at 1 ms steps, 1000 more. */
    int taken = 0;
    for (int64_t t = 1; t <= 10000; t++)
        taken += sg_bucket_take(&b, t);
    assert_int_equal(taken, 1000);
}

static void test_wait_ms(void **state)
{
    sg_bucket b;
    sg_bucket_init(&b, 4, 2, 0); /* one token per 250 ms */
    assert_true(sg_bucket_take(&b, 0));
    assert_true(sg_bucket_take(&b, 0));
    assert_int_equal(sg_bucket_wait_ms(&b, 0), 250);
    assert_int_equal(sg_bucket_wait_ms(&b, 100), 150);
    assert_int_equal(sg_bucket_wait_ms(&b, 249), 1);
    assert_int_equal(sg_bucket_wait_ms(&b, 250), 0);
    /* wait_ms does not change the bucket. */
    assert_int_equal(sg_bucket_wait_ms(&b, 0), 250);
    /* Following its advice always works, and one ms earlier never does. */
    int64_t now = 0;
    for (int i = 0; i < 50; i++) {
        int64_t w = sg_bucket_wait_ms(&b, now);
        assert_true(w > 0);
        assert_false(sg_bucket_take(&b, now + w - 1));
        assert_true(sg_bucket_take(&b, now + w));
        now += w;
    }
}

static void test_fractional_rate(void **state)
{
    sg_bucket b;
    sg_bucket_init(&b, 0.5, 1, 0); /* one every 2 s */
    assert_true(sg_bucket_take(&b, 0));
    assert_int_equal(sg_bucket_wait_ms(&b, 0), 2000);
    assert_int_equal(sg_bucket_wait_ms(&b, 500), 1500);
    /* Polled every ms, the token appears exactly at 2000. */
    for (int64_t t = 1; t < 2000; t++)
        assert_false(sg_bucket_take(&b, t));
    assert_true(sg_bucket_take(&b, 2000));
    /* 60 s later: 30 more in a minute of polling at 7 ms steps... */
    int taken = 0;
    for (int64_t t = 2001; t <= 62000; t += 7)
        taken += sg_bucket_take(&b, t);
    assert_in_range(taken, 29, 30);

    sg_bucket third;
    sg_bucket_init(&third, 1.0 / 3.0, 1, 0);
    assert_true(sg_bucket_take(&third, 0));
    assert_int_equal(sg_bucket_wait_ms(&third, 0), 3000);
    assert_false(sg_bucket_take(&third, 2999));
    assert_true(sg_bucket_take(&third, 3000));
}

static void test_never_exceeds_burst(void **state)
{
    sg_bucket b;
    sg_bucket_init(&b, 1000, 3, 0);
    assert_true(b.tokens <= 3);
    /* An hour idle still saves up only 3. */
    int taken = 0;
    while (sg_bucket_take(&b, 3600000))
        taken++;
    assert_int_equal(taken, 3);
    assert_true(b.tokens >= 0 && b.tokens < 1);
    /* Time going backwards mints nothing. */
    sg_bucket c;
    sg_bucket_init(&c, 1, 1, 10000);
    assert_true(sg_bucket_take(&c, 10000));
    assert_false(sg_bucket_take(&c, 0));
    assert_false(sg_bucket_take(&c, 10999));
    assert_true(sg_bucket_take(&c, 11000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_full_and_drains),
        cmocka_unit_test(test_refill_rate),
        cmocka_unit_test(test_wait_ms),
        cmocka_unit_test(test_fractional_rate),
        cmocka_unit_test(test_never_exceeds_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
