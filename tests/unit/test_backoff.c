#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/backoff.h"

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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_and_growth),
        cmocka_unit_test(test_no_overflow),
        cmocka_unit_test(test_edge_configs),
        cmocka_unit_test(test_exhausted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
