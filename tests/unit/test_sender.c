#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/sender.h"

#include <stdio.h>

static void test_small_pools(void **state)
{
    assert_int_equal(sg_sender_pick("+447400123456", 0), 0);
    assert_int_equal(sg_sender_pick("+447400123456", 1), 0);
    assert_int_equal(sg_sender_pick(NULL, 5), 0);
}

/* Values computed independently (Python) from the definition in sender.h:
 * FNV-1a 64 of "+447400123456" is 0x343845f2d5b3bece. If these change, every
 * existing conversation moves to another sender. */
static void test_stable(void **state)
{
    assert_int_equal(sg_sender_pick("+447400123456", 7), 2);
    assert_int_equal(sg_sender_pick("+447400123456", 1000), 382);
    assert_int_equal(sg_sender_pick("+447400123456", 4), 2);
    assert_int_equal(sg_sender_pick("+14155552671", 1000), 862);
    assert_int_equal(sg_sender_pick("+14155552671", 7), 1);
    for (int i = 0; i < 10; i++)
        assert_int_equal(sg_sender_pick("+447400123456", 7), sg_sender_pick("+447400123456", 7));
}

static void test_in_range(void **state)
{
    char to[32];
    for (size_t n = 2; n < 20; n++) {
        for (int i = 0; i < 200; i++) {
            snprintf(to, sizeof to, "+4474001%05d", i * 37);
            assert_true(sg_sender_pick(to, n) < n);
        }
    }
}

static void test_spread(void **state)
{
    char to[32];
    size_t buckets[4] = {0};
    for (int i = 0; i < 1000; i++) {
        snprintf(to, sizeof to, "+4474001%05d", i);
        buckets[sg_sender_pick(to, 4)]++;
    }
    for (int k = 0; k < 4; k++)
        assert_true(buckets[k] > 150);

    /* Other pool sizes and prefixes, including a pool that is not a power of two. */
    const char *prefixes[] = {"+1415555", "+4915112"};
    const size_t sizes[] = {3, 8};
    for (size_t p = 0; p < 2; p++) {
        for (size_t s = 0; s < 2; s++) {
            size_t n = sizes[s], counts[8] = {0};
            for (int i = 0; i < 1000; i++) {
                snprintf(to, sizeof to, "%s%04d", prefixes[p], i);
                counts[sg_sender_pick(to, n)]++;
            }
            for (size_t k = 0; k < n; k++)
                assert_in_range(counts[k], 1000 / n * 8 / 10, 1000 / n * 12 / 10);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_pools),
        cmocka_unit_test(test_stable),
        cmocka_unit_test(test_in_range),
        cmocka_unit_test(test_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
