#include "core/outbound_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* The address ranges with a verdict of their own, most specific first: the
 * first that contains an address decides. What no row covers is allowed. */
typedef struct range {
    sg_cidr net;
    sg_outbound_verdict verdict;
} range;

static const range ranges[] = {
    {{4, {169, 254, 169, 254}, 32}, SG_OUTBOUND_METADATA}, /* AWS, GCP, Azure, ... */
    {{4, {100, 100, 100, 200}, 32}, SG_OUTBOUND_METADATA}, /* Alibaba Cloud */
    /* AWS's IPv6 metadata address, fd00:ec2::254 */
    {{6, {0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54}, 128}, SG_OUTBOUND_METADATA},
    {{4, {0}, 8}, SG_OUTBOUND_UNSPECIFIED}, /* "this network" */
    {{6, {0}, 128}, SG_OUTBOUND_UNSPECIFIED},
    {{4, {169, 254}, 16}, SG_OUTBOUND_LINK_LOCAL},
    {{6, {0xfe, 0x80}, 10}, SG_OUTBOUND_LINK_LOCAL},
    {{4, {224}, 4}, SG_OUTBOUND_MULTICAST},
    {{6, {0xff}, 8}, SG_OUTBOUND_MULTICAST},
    {{4, {240}, 4}, SG_OUTBOUND_RESERVED}, /* and 255.255.255.255 */
    {{4, {127}, 8}, SG_OUTBOUND_LOOPBACK},
    {{6, {[15] = 1}, 128}, SG_OUTBOUND_LOOPBACK},
    {{4, {10}, 8}, SG_OUTBOUND_PRIVATE},
    {{4, {172, 16}, 12}, SG_OUTBOUND_PRIVATE},
    {{4, {192, 168}, 16}, SG_OUTBOUND_PRIVATE},
    {{4, {100, 64}, 10}, SG_OUTBOUND_PRIVATE}, /* carrier-grade NAT */
    {{6, {0xfc}, 7}, SG_OUTBOUND_PRIVATE},     /* unique local */
};

static const char *const reasons[] = {
    [SG_OUTBOUND_OK] = "allowed",
    [SG_OUTBOUND_UNSPECIFIED] = "unspecified address",
    [SG_OUTBOUND_METADATA] = "cloud metadata address",
    [SG_OUTBOUND_LINK_LOCAL] = "link-local address",
    [SG_OUTBOUND_MULTICAST] = "multicast address",
    [SG_OUTBOUND_RESERVED] = "reserved address",
    [SG_OUTBOUND_SELF] = "smsgate's own listen address",
    [SG_OUTBOUND_LOOPBACK] = "loopback address (not in --outbound-allow)",
    [SG_OUTBOUND_PRIVATE] = "private network address (not in --outbound-allow)",
};

const char *sg_outbound_reason(sg_outbound_verdict v)
{
    return (unsigned)v < sizeof reasons / sizeof *reasons ? reasons[v] : "refused";
}

bool sg_outbound_allow_parse(sg_outbound_policy *p, const char *list, char *err, size_t cap)
{
    sg_cidr parsed[SG_OUTBOUND_ALLOW_MAX];
    size_t n = p->n_allow;
    const char *s = list ? list : "";
    while (*s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        char item[64];
        while (len && (*s == ' ' || *s == '\t'))
            s++, len--;
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len >= sizeof item) {
            snprintf(err, cap, "'%.40s...' is not a CIDR", s);
            return false;
        }
        memcpy(item, s, len);
        item[len] = '\0';
        if (len) {
            if (n >= SG_OUTBOUND_ALLOW_MAX) {
                snprintf(err, cap, "more than %d networks", SG_OUTBOUND_ALLOW_MAX);
                return false;
            }
            if (!sg_cidr_parse(item, &parsed[n - p->n_allow])) {
                snprintf(err, cap, "'%s' is not a CIDR (e.g. 10.0.0.0/8 or ::1/128)", item);
                return false;
            }
            n++;
        }
        s += len;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == ',')
            s++;
    }
    memcpy(&p->allow[p->n_allow], parsed, (n - p->n_allow) * sizeof *parsed);
    p->n_allow = n;
    return true;
}

bool sg_outbound_self_add(sg_outbound_policy *p, const char *cidr, uint16_t port)
{
    if (p->n_self >= SG_OUTBOUND_SELF_MAX || !sg_cidr_parse(cidr, &p->self[p->n_self].net))
        return false;
    p->self[p->n_self++].port = port;
    return true;
}

/* An IPv6 address that stands for an IPv4 one (mapped ::ffff:a.b.c.d, the old
 * compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d) becomes that IPv4 address. */
static int unwrap_v4(int family, const uint8_t in[16], uint8_t out[16])
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    static const uint8_t compat[12] = {0};
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    memcpy(out, in, 16);
    if (family != 6)
        return family;
    bool v4 = memcmp(in, mapped, 12) == 0 || memcmp(in, nat64, 12) == 0;
    /* :: and ::1 are IPv6's own unspecified and loopback addresses. */
    if (memcmp(in, compat, 12) == 0 && (in[12] | in[13] | in[14] || in[15] > 1))
        v4 = true;
    if (!v4)
        return 6;
    memset(out, 0, 16);
    memcpy(out, in + 12, 4);
    return 4;
}

static bool is_self(const sg_outbound_policy *p, int family, const uint8_t a[16], uint16_t port)
{
    for (size_t i = 0; i < p->n_self; i++) {
        if (p->self[i].port == port && sg_cidr_contains_addr(&p->self[i].net, family, a))
            return true;
    }
    return false;
}

static bool is_allowed(const sg_outbound_policy *p, int family, const uint8_t a[16])
{
    for (size_t i = 0; i < p->n_allow; i++) {
        if (sg_cidr_contains_addr(&p->allow[i], family, a))
            return true;
    }
    return false;
}

sg_outbound_verdict sg_outbound_check(const sg_outbound_policy *p, int family,
                                      const uint8_t addr[16], uint16_t port)
{
    uint8_t a[16];
    family = unwrap_v4(family, addr, a);
    if (family == 4 && a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
        return SG_OUTBOUND_RESERVED;
    sg_outbound_verdict v = SG_OUTBOUND_OK;
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
        if (sg_cidr_contains_addr(&ranges[i].net, family, a)) {
            v = ranges[i].verdict;
            break;
        }
    }
    if (v != SG_OUTBOUND_OK && v != SG_OUTBOUND_LOOPBACK && v != SG_OUTBOUND_PRIVATE)
        return v;
    if (is_self(p, family, a, port))
        return SG_OUTBOUND_SELF;
    if (v != SG_OUTBOUND_OK && is_allowed(p, family, a))
        return SG_OUTBOUND_OK;
    return v;
}

sg_outbound_verdict sg_outbound_check_sockaddr(const sg_outbound_policy *p,
                                               const struct sockaddr *sa)
{
    uint8_t a[16] = {0};
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memcpy(a, &in->sin_addr, 4);
        return sg_outbound_check(p, 4, a, ntohs(in->sin_port));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        memcpy(a, &in6->sin6_addr, 16);
        return sg_outbound_check(p, 6, a, ntohs(in6->sin6_port));
    }
    return SG_OUTBOUND_RESERVED;
}

/* "localhost", "localhost.", "x.localhost": loopback by RFC 6761. */
static bool is_localhost_name(const char *host)
{
    size_t n = strlen(host);
    if (n && host[n - 1] == '.')
        n--;
    static const char name[] = "localhost";
    size_t k = sizeof name - 1;
    return n >= k && strncasecmp(host + n - k, name, k) == 0 && (n == k || host[n - k - 1] == '.');
}

bool sg_outbound_check_literal(const sg_outbound_policy *p, const char *host, uint16_t port,
                               sg_outbound_verdict *v)
{
    char buf[64];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n >= sizeof buf)
        return false;
    memcpy(buf, host, n);
    buf[n] = '\0';
    char *zone = strchr(buf, '%'); /* fe80::1%eth0, fe80::1%25eth0 */
    if (zone)
        *zone = '\0';
    uint8_t a[16] = {0};
    struct in_addr v4;
    if (inet_pton(AF_INET6, buf, a) == 1) {
        *v = sg_outbound_check(p, 6, a, port);
        return true;
    }
    if (inet_aton(buf, &v4)) { /* every spelling getaddrinfo takes: 0x7f.1, 2130706433, ... */
        memcpy(a, &v4, 4);
        *v = sg_outbound_check(p, 4, a, port);
        return true;
    }
    if (is_localhost_name(buf)) {
        a[0] = 127;
        a[3] = 1;
        *v = sg_outbound_check(p, 4, a, port);
        return true;
    }
    return false;
}
