/* The client behind trusted proxies (http/forwarded.h) and the CIDR lists that
 * name them (core/cidr.h): X-Forwarded-For is believed only as far as trusted
 * hops reach, read from the right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/cidr.h"
#include "http/forwarded.h"

#include <string.h>

static void test_list_parse(void **state)
{
    sg_cidr list[4];
    size_t n;
    assert_true(sg_cidr_list_parse("10.0.0.0/8, 127.0.0.1,::1", list, 4, &n));
    assert_int_equal(n, 3);
    assert_true(sg_cidr_list_contains(list, n, "10.1.2.3"));
    assert_true(sg_cidr_list_contains(list, n, "::1"));
    assert_false(sg_cidr_list_contains(list, n, "192.168.0.1"));
    assert_true(sg_cidr_list_parse("", list, 4, &n));
    assert_int_equal(n, 0);
    assert_false(sg_cidr_list_contains(list, 0, "127.0.0.1"));
    assert_false(sg_cidr_list_parse("10.0.0.0/8,proxy.example", list, 4, &n));
    assert_int_equal(n, 1); /* the entry at fault */
    assert_false(sg_cidr_list_parse("1.1.1.1,2.2.2.2,3.3.3.3", list, 2, &n));
}

static void test_client(void **state)
{
    sg_cidr trusted[2];
    size_t n;
    assert_true(sg_cidr_list_parse("127.0.0.1,10.0.0.0/8", trusted, 2, &n));
    static const struct {
        const char *peer, *xff, *want, *why;
    } rows[] = {
        {"127.0.0.1", NULL, "127.0.0.1", "no header: the peer"},
        {"127.0.0.1", "", "127.0.0.1", "empty header: the peer"},
        {"203.0.113.9", "198.51.100.1", "203.0.113.9", "an untrusted peer's header is ignored"},
        {"127.0.0.1", "198.51.100.1", "198.51.100.1", "one hop"},
        {"127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1",
         "the rightmost untrusted hop, not what the client wrote first"},
        {"127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1",
         "trusted hops are skipped"},
        {"127.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3", "all trusted: the leftmost"},
        {"127.0.0.1", "198.51.100.1, garbage", "127.0.0.1",
         "a bad hop ends the walk at the last good address"},
        {"127.0.0.1", "198.51.100.7:4711", "198.51.100.7", "an IPv4 hop with a port"},
        {"127.0.0.1", "[2001:db8::1]", "2001:db8::1", "a bracketed IPv6 hop"},
        {"127.0.0.1", "2001:db8::2", "2001:db8::2", "a bare IPv6 hop"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[SG_ADDR_TEXT_MAX];
        sg_forwarded_client(rows[i].peer, rows[i].xff, trusted, n, out);
        if (strcmp(out, rows[i].want) != 0)
            fail_msg("row %zu (%s): peer %s, X-Forwarded-For '%s' -> '%s', want '%s'", i,
                     rows[i].why, rows[i].peer, rows[i].xff ? rows[i].xff : "(none)", out,
                     rows[i].want);
    }
}

static void test_no_trusted_proxies(void **state)
{
    char out[SG_ADDR_TEXT_MAX];
    sg_forwarded_client("127.0.0.1", "198.51.100.1", NULL, 0, out);
    assert_string_equal(out, "127.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_parse),
        cmocka_unit_test(test_client),
        cmocka_unit_test(test_no_trusted_proxies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
