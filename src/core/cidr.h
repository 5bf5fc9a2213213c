/* Network allow-lists: "203.0.113.0/24", "2001:db8::/32", or a single address. */
#ifndef SG_CORE_CIDR_H
#define SG_CORE_CIDR_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sg_cidr {
    int family;           /* 4 or 6 */
    uint8_t addr[16];     /* network address, big-endian */
    unsigned prefix;      /* 0..32 or 0..128 */
} sg_cidr;

/* Parse s; a bare address is a /32 or /128. False on anything else (host bits
 * set beyond the prefix are allowed and ignored). */
bool sg_cidr_parse(const char *s, sg_cidr *out);
/* True if the textual address ip (IPv4, IPv6, or IPv4-mapped IPv6) is inside c. */
bool sg_cidr_contains(const sg_cidr *c, const char *ip);
/* True if the address addr of family (4: its first 4 bytes, or 6), network
 * order, is inside c. No IPv4-mapped translation: families must match. */
bool sg_cidr_contains_addr(const sg_cidr *c, int family, const uint8_t addr[16]);

#endif
