#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_addr(const char *s, int *family, uint8_t out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1) {
        *family = 4;
        return true;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *family = 6;
        return true;
    }
    return false;
}

bool sg_cidr_parse(const char *s, sg_cidr *out)
{
    char buf[64];
    if (!s || strlen(s) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        if (!slash[1] || slash[1] == '-' || slash[1] == '+')
            return false;
        prefix = strtol(slash + 1, &end, 10);
        if (*end)
            return false;
    }
    if (!parse_addr(buf, &out->family, out->addr))
        return false;
    long max = out->family == 4 ? 32 : 128;
    if (prefix < 0)
        prefix = max;
    if (prefix > max)
        return false;
    out->prefix = (unsigned)prefix;
    return true;
}

bool sg_cidr_contains(const sg_cidr *c, const char *ip)
{
    int family;
    uint8_t a[16];
    if (!parse_addr(ip, &family, a))
        return false;
    /* ::ffff:a.b.c.d is the IPv4 address a.b.c.d */
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == 6 && c->family == 4 && memcmp(a, mapped, 12) == 0) {
        memmove(a, a + 12, 4);
        family = 4;
    }
    return sg_cidr_contains_addr(c, family, a);
}

bool sg_cidr_contains_addr(const sg_cidr *c, int family, const uint8_t a[16])
{
    if (family != c->family)
        return false;
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(a, c->addr, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((a[full] & mask) != (c->addr[full] & mask))
            return false;
    }
    return true;
}

bool sg_cidr_list_parse(const char *text, sg_cidr *out, size_t max, size_t *n)
{
    *n = 0;
    const char *p = text ? text : "";
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        char one[64];
        if ((size_t)(end - p) >= sizeof one || *n >= max)
            return false;
        memcpy(one, p, (size_t)(end - p));
        one[end - p] = '\0';
        if (!sg_cidr_parse(one, &out[*n]))
            return false;
        (*n)++;
        p = end;
    }
    return true;
}

bool sg_cidr_list_contains(const sg_cidr *list, size_t n, const char *ip)
{
    for (size_t i = 0; i < n; i++) {
        if (sg_cidr_contains(&list[i], ip))
            return true;
    }
    return false;
}
