/* Outbound policy: may smsgate open a connection to this address on a user's
 * behalf? One rule for every URL a user gives smsgate to call (app webhooks
 * today; the compatible endpoints' status-callback and inbound URLs later), so
 * that a key holder cannot make the gateway reach what only the gateway can
 * reach (SSRF): cloud metadata, the host's own services, the private network.
 *
 * Always refused: unspecified (0.0.0.0/8, ::), link-local (169.254.0.0/16,
 * fe80::/10) and cloud-metadata addresses (169.254.169.254, fd00:ec2::254,
 * 100.100.100.200), multicast, reserved IPv4 (240.0.0.0/4, broadcast), and
 * smsgate's own listen address. Refused unless an operator's allow list covers
 * them: loopback (127.0.0.0/8, ::1), private networks (RFC 1918, fc00::/7) and
 * carrier-grade NAT (100.64.0.0/10). Everything else (the public Internet) is
 * allowed. IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d, ::a.b.c.d,
 * 64:ff9b::a.b.c.d) are judged as that IPv4 address.
 *
 * Pure: no I/O, no DNS. Callers check the address they are about to connect to
 * (after resolution), so a name that resolves differently later (DNS
 * rebinding) is still judged by where it leads. */
#ifndef SG_CORE_OUTBOUND_POLICY_H
#define SG_CORE_OUTBOUND_POLICY_H

#include "core/cidr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

#define SG_OUTBOUND_ALLOW_MAX 32
#define SG_OUTBOUND_SELF_MAX  32

typedef enum sg_outbound_verdict {
    SG_OUTBOUND_OK = 0,
    SG_OUTBOUND_UNSPECIFIED,
    SG_OUTBOUND_METADATA,
    SG_OUTBOUND_LINK_LOCAL,
    SG_OUTBOUND_MULTICAST,
    SG_OUTBOUND_RESERVED,
    SG_OUTBOUND_SELF,
    SG_OUTBOUND_LOOPBACK, /* refused unless allowed */
    SG_OUTBOUND_PRIVATE,  /* refused unless allowed */
} sg_outbound_verdict;

/* smsgate's own endpoint: addresses (a network, for a wildcard listen) and port. */
typedef struct sg_outbound_self {
    sg_cidr net;
    uint16_t port;
} sg_outbound_self;

/* Zero-initialised: nothing allowed beyond the public Internet, no self. */
typedef struct sg_outbound_policy {
    sg_cidr allow[SG_OUTBOUND_ALLOW_MAX];
    size_t n_allow;
    sg_outbound_self self[SG_OUTBOUND_SELF_MAX];
    size_t n_self;
} sg_outbound_policy;

/* Append the networks of "CIDR[,CIDR...]" (spaces around items ignored; "" adds
 * nothing) to p's allow list. False, with the offending item (or the reason)
 * in err, if an item does not parse or the list holds more than
 * SG_OUTBOUND_ALLOW_MAX; p is unchanged then. */
bool sg_outbound_allow_parse(sg_outbound_policy *p, const char *list, char *err, size_t cap);

/* Add smsgate's own endpoint: cidr (an address or network) on port. False if
 * cidr does not parse or the table is full. */
bool sg_outbound_self_add(sg_outbound_policy *p, const char *cidr, uint16_t port);

/* The verdict on connecting to addr (family 4: 4 bytes, 6: 16 bytes, network
 * order) on port. */
sg_outbound_verdict sg_outbound_check(const sg_outbound_policy *p, int family,
                                      const uint8_t addr[16], uint16_t port);

/* The same for a sockaddr_in or sockaddr_in6; other families are
 * SG_OUTBOUND_RESERVED. */
sg_outbound_verdict sg_outbound_check_sockaddr(const sg_outbound_policy *p,
                                               const struct sockaddr *sa);

/* If host (a URL's host part, IPv6 with or without brackets) is an address
 * literal in any spelling a resolver accepts (dotted, decimal "2852039166", hex
 * "0xa9fea9fe", octal "0251.0376.0251.0376", short forms "127.1"), or the name
 * "localhost" or a name under ".localhost" (loopback by definition), set *v to
 * its verdict on port and return true. False for other names: those are judged
 * when resolved. */
bool sg_outbound_check_literal(const sg_outbound_policy *p, const char *host, uint16_t port,
                               sg_outbound_verdict *v);

/* "link-local address", ... for messages; "allowed" for SG_OUTBOUND_OK. */
const char *sg_outbound_reason(sg_outbound_verdict v);

#endif
