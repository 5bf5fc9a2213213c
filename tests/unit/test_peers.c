/* Connections per address (http/peers.h): counting up and down, rows leaving
 * the table at zero (their slot reused), and a full table refusing to count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/peers.h"

#include <string.h>

static void addr(uint8_t out[16], uint8_t last)
{
    memset(out, 0, 16);
    out[10] = out[11] = 0xff;
    out[15] = last;
}

static void test_count(void **state)
{
    sg_peers p;
    assert_int_equal(sg_peers_init(&p, 2), SG_OK);
    uint8_t a[16], b[16], c[16];
    addr(a, 1);
    addr(b, 2);
    addr(c, 3);
    assert_int_equal(sg_peers_count(&p, a), 0);
    assert_true(sg_peers_add(&p, a));
    assert_true(sg_peers_add(&p, a));
    assert_true(sg_peers_add(&p, b));
    assert_int_equal(sg_peers_count(&p, a), 2);
    assert_int_equal(sg_peers_count(&p, b), 1);
    assert_false(sg_peers_add(&p, c)); /* two rows already: full */
    assert_int_equal(sg_peers_count(&p, c), 0);
    sg_peers_del(&p, b);
    assert_int_equal(sg_peers_count(&p, b), 0);
    assert_true(sg_peers_add(&p, c)); /* b's row is free again */
    sg_peers_del(&p, a);
    sg_peers_del(&p, a);
    sg_peers_del(&p, a); /* one more than counted: no-op */
    assert_int_equal(sg_peers_count(&p, a), 0);
    assert_int_equal(sg_peers_count(&p, c), 1);
    assert_int_equal(p.len, 1);
    sg_peers_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
