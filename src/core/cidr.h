/* Network allow-lists: "203.0.113.0/24", "2001:db8::/32", or a single address. */
#ifndef SG_CORE_CIDR_H
#define SG_CORE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
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
/* Parse a comma-separated list ("10.0.0.0/8, 127.0.0.1") into out (at most max
 * entries; spaces around entries are ignored, an empty text is an empty list).
 * *n gets the count. False, with *n the index of the entry at fault, when an
 * entry does not parse or there are more than max. */
bool sg_cidr_list_parse(const char *text, sg_cidr *out, size_t max, size_t *n);
/* True if ip is inside one of the n entries of list. */
bool sg_cidr_list_contains(const sg_cidr *list, size_t n, const char *ip);

#endif
