#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/cidr.h"

static void test_parse(void **state)
{
    sg_cidr c;
    assert_true(sg_cidr_parse("203.0.113.0/24", &c));
    assert_int_equal(c.family, 4);
    assert_int_equal(c.prefix, 24);
    assert_true(sg_cidr_parse("2001:db8::/32", &c));
    assert_int_equal(c.family, 6);
    assert_true(sg_cidr_parse("196.216.236.2", &c));
    assert_int_equal(c.prefix, 32);
    const char *bad[] = {"", "1.2.3.4/33", "1.2.3/24", "::/129", "1.2.3.4/", "1.2.3.4/-1",
                         "1.2.3.4/2x", "example.org", "1.2.3.4/24/1", NULL};
    for (int i = 0; bad[i]; i++)
        assert_false(sg_cidr_parse(bad[i], &c));
    assert_false(sg_cidr_parse(NULL, &c));
}

static void test_contains(void **state)
{
    sg_cidr c;
    assert_true(sg_cidr_parse("203.0.113.0/24", &c));
    assert_true(sg_cidr_contains(&c, "203.0.113.7"));
    assert_true(sg_cidr_contains(&c, "::ffff:203.0.113.200"));
    assert_false(sg_cidr_contains(&c, "203.0.114.1"));
    assert_false(sg_cidr_contains(&c, "2001:db8::1"));
    assert_false(sg_cidr_contains(&c, "not an address"));
    assert_true(sg_cidr_parse("10.0.0.0/9", &c));
    assert_true(sg_cidr_contains(&c, "10.127.255.255"));
    assert_false(sg_cidr_contains(&c, "10.128.0.0"));
    assert_true(sg_cidr_parse("2001:db8::/32", &c));
    assert_true(sg_cidr_contains(&c, "2001:db8:ffff::1"));
    assert_false(sg_cidr_contains(&c, "2001:db9::1"));
    assert_true(sg_cidr_parse("0.0.0.0/0", &c));
    assert_true(sg_cidr_contains(&c, "127.0.0.1"));
    assert_true(sg_cidr_parse("127.0.0.1", &c));
    assert_true(sg_cidr_contains(&c, "127.0.0.1"));
    assert_false(sg_cidr_contains(&c, "127.0.0.2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse),
                                       cmocka_unit_test(test_contains)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
