/* core/outbound_policy: which addresses smsgate may call on a user's behalf.
 * Every row names its case; a failure prints the row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/outbound_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define OK SG_OUTBOUND_OK
#define LL SG_OUTBOUND_LINK_LOCAL
#define MD SG_OUTBOUND_METADATA
#define MC SG_OUTBOUND_MULTICAST
#define UN SG_OUTBOUND_UNSPECIFIED
#define RS SG_OUTBOUND_RESERVED
#define SF SG_OUTBOUND_SELF
#define LB SG_OUTBOUND_LOOPBACK
#define PV SG_OUTBOUND_PRIVATE

typedef struct row {
    const char *name;
    const char *allow; /* --outbound-allow, or NULL */
    const char *host;  /* as in a URL */
    uint16_t port;
    sg_outbound_verdict want;
} row;

/* smsgate itself listens on 127.0.0.1:8080 and [::1]:8080 in every row. */
static const row rows[] = {
    {"metadata dotted", NULL, "169.254.169.254", 80, MD},
    {"metadata decimal", NULL, "2852039166", 80, MD},
    {"metadata hex", NULL, "0xa9fea9fe", 80, MD},
    {"metadata dotted hex", NULL, "0xa9.0xfe.0xa9.0xfe", 80, MD},
    {"metadata octal", NULL, "0251.0376.0251.0376", 80, MD},
    {"metadata short form a.b.c", NULL, "169.254.43518", 80, MD},
    {"metadata IPv4-mapped IPv6", NULL, "[::ffff:169.254.169.254]", 80, MD},
    {"metadata IPv4-mapped IPv6 in hex", NULL, "::ffff:a9fe:a9fe", 80, MD},
    {"metadata IPv4-compatible IPv6", NULL, "::169.254.169.254", 80, MD},
    {"metadata NAT64", NULL, "64:ff9b::a9fe:a9fe", 80, MD},
    {"metadata even when every address is allowed", "0.0.0.0/0,::/0", "169.254.169.254", 80, MD},
    {"AWS IPv6 metadata", "::/0", "[fd00:ec2::254]", 80, MD},
    {"Alibaba metadata inside CGNAT allowed", "100.64.0.0/10", "100.100.100.200", 80, MD},
    {"link-local IPv4", NULL, "169.254.1.1", 80, LL},
    {"link-local IPv6", NULL, "[fe80::1]", 80, LL},
    {"link-local IPv6 with zone", NULL, "[fe80::1%25eth0]", 80, LL},
    {"link-local not allowable", "169.254.0.0/16", "169.254.1.1", 80, LL},
    {"multicast IPv4", NULL, "224.0.0.1", 80, MC},
    {"multicast IPv6", NULL, "[ff02::1]", 80, MC},
    {"unspecified IPv4", NULL, "0.0.0.0", 80, UN},
    {"unspecified IPv4 as 0", NULL, "0", 80, UN},
    {"unspecified IPv6", NULL, "[::]", 80, UN},
    {"unspecified even when allowed", "0.0.0.0/0", "0.0.0.0", 80, UN},
    {"broadcast", NULL, "255.255.255.255", 80, RS},
    {"class E", NULL, "240.0.0.1", 80, RS},
    {"loopback refused by default", NULL, "127.0.0.1", 9000, LB},
    {"loopback short form", NULL, "127.1", 9000, LB},
    {"loopback decimal", NULL, "2130706433", 9000, LB},
    {"loopback IPv6", NULL, "[::1]", 9000, LB},
    {"loopback mapped", NULL, "::ffff:127.0.0.1", 9000, LB},
    {"localhost name", NULL, "localhost", 9000, LB},
    {"localhost name any case, trailing dot", NULL, "LocalHost.", 9000, LB},
    {"name under .localhost", NULL, "app.localhost", 9000, LB},
    {"loopback allowed by CIDR", "127.0.0.0/8,::1/128", "127.0.0.1", 9000, OK},
    {"loopback IPv6 allowed by CIDR", "127.0.0.0/8, ::1/128", "[::1]", 9000, OK},
    {"localhost allowed by CIDR", "127.0.0.0/8", "localhost", 9000, OK},
    {"self refused although loopback is allowed", "127.0.0.0/8", "127.0.0.1", 8080, SF},
    {"self refused as 127.1", "127.0.0.0/8", "127.1", 8080, SF},
    {"self IPv6 refused", "::1/128", "[::1]", 8080, SF},
    {"self mapped refused", "127.0.0.0/8", "::ffff:127.0.0.1", 8080, SF},
    {"RFC 1918 10/8", NULL, "10.0.0.1", 80, PV},
    {"RFC 1918 mapped", NULL, "[::ffff:10.0.0.1]", 80, PV},
    {"RFC 1918 172.16/12", NULL, "172.31.255.255", 80, PV},
    {"just outside 172.16/12", NULL, "172.32.0.1", 80, OK},
    {"RFC 1918 192.168/16", NULL, "192.168.1.10", 80, PV},
    {"CGNAT", NULL, "100.64.0.1", 80, PV},
    {"unique local IPv6", NULL, "[fd12:3456::1]", 80, PV},
    {"private allowed by its CIDR", "10.1.0.0/16", "10.1.2.3", 80, OK},
    {"private outside the allowed CIDR", "10.1.0.0/16", "10.2.0.1", 80, PV},
    {"private mapped allowed by an IPv4 CIDR", "10.0.0.0/8", "::ffff:10.0.0.1", 80, OK},
    {"public IPv4", NULL, "93.184.216.34", 443, OK},
    {"public IPv6", NULL, "[2606:2800:220:1::1]", 443, OK},
};

static void test_rows(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const row *r = &rows[i];
        sg_outbound_policy p = {0};
        char err[128] = "";
        assert_true(sg_outbound_self_add(&p, "127.0.0.1", 8080));
        assert_true(sg_outbound_self_add(&p, "::1", 8080));
        if (r->allow && !sg_outbound_allow_parse(&p, r->allow, err, sizeof err)) {
            print_error("row '%s': allow list '%s' refused: %s\n", r->name, r->allow, err);
            failures++;
            continue;
        }
        sg_outbound_verdict got = OK;
        if (!sg_outbound_check_literal(&p, r->host, r->port, &got)) {
            print_error("row '%s': '%s' not taken as a literal\n", r->name, r->host);
            failures++;
        } else if (got != r->want) {
            print_error("row '%s': '%s' port %u: got '%s', want '%s'\n", r->name, r->host, r->port,
                        sg_outbound_reason(got), sg_outbound_reason(r->want));
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Names are left for resolution; the check then happens on the address. */
static void test_names_are_not_literals(void **state)
{
    (void)state;
    sg_outbound_policy p = {0};
    sg_outbound_verdict v;
    const char *names[] = {"example.com", "169.254.169.254.nip.io", "localhost.example.com",
                           "notlocalhost", ""};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (sg_outbound_check_literal(&p, names[i], 80, &v)) {
            print_error("'%s' taken as a literal (%s)\n", names[i], sg_outbound_reason(v));
            fail();
        }
    }
}

/* The delivery-time check sees a resolved sockaddr. */
static void test_sockaddr(void **state)
{
    (void)state;
    sg_outbound_policy p = {0};
    char err[128];
    assert_true(sg_outbound_allow_parse(&p, "127.0.0.0/8", err, sizeof err));
    assert_true(sg_outbound_self_add(&p, "0.0.0.0/0", 8080)); /* a wildcard listen */
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(9000)};
    inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
    assert_int_equal(sg_outbound_check_sockaddr(&p, (struct sockaddr *)&in), OK);
    in.sin_port = htons(8080);
    assert_int_equal(sg_outbound_check_sockaddr(&p, (struct sockaddr *)&in), SF);
    inet_pton(AF_INET, "169.254.169.254", &in.sin_addr);
    assert_int_equal(sg_outbound_check_sockaddr(&p, (struct sockaddr *)&in), MD);
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(80)};
    inet_pton(AF_INET6, "::ffff:10.0.0.1", &in6.sin6_addr);
    assert_int_equal(sg_outbound_check_sockaddr(&p, (struct sockaddr *)&in6), PV);
    inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
    assert_int_equal(sg_outbound_check_sockaddr(&p, (struct sockaddr *)&in6), OK);
    struct sockaddr other = {.sa_family = AF_UNIX};
    assert_int_equal(sg_outbound_check_sockaddr(&p, &other), RS);
}

static void test_allow_parse(void **state)
{
    (void)state;
    sg_outbound_policy p = {0};
    char err[128] = "";
    assert_true(sg_outbound_allow_parse(&p, "", err, sizeof err));
    assert_int_equal(p.n_allow, 0);
    assert_true(sg_outbound_allow_parse(&p, " 127.0.0.0/8 , ::1/128 ,", err, sizeof err));
    assert_int_equal(p.n_allow, 2);
    /* a bad item leaves the list as it was and names the item */
    assert_false(sg_outbound_allow_parse(&p, "10.0.0.0/8,10.0.0.0/33", err, sizeof err));
    assert_non_null(strstr(err, "10.0.0.0/33"));
    assert_int_equal(p.n_allow, 2);
    assert_false(sg_outbound_allow_parse(&p, "example.com", err, sizeof err));
    char many[SG_OUTBOUND_ALLOW_MAX * 16] = "";
    for (int i = 0; i < SG_OUTBOUND_ALLOW_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "10.%d.0.0/16,", i);
    assert_false(sg_outbound_allow_parse(&p, many, err, sizeof err)); /* 2 + 32 > 32 */
    assert_int_equal(p.n_allow, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_names_are_not_literals),
        cmocka_unit_test(test_sockaddr),
        cmocka_unit_test(test_allow_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
