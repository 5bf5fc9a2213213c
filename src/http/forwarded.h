/* Who a request comes from when reverse proxies stand in between: the socket's
 * peer is the proxy; X-Forwarded-For lists the hops, the client first, each proxy
 * appending the address it got the request from. Only hops added by proxies the
 * operator trusts can be believed, so the list is read from the right. */
#ifndef SG_HTTP_FORWARDED_H
#define SG_HTTP_FORWARDED_H

#include "core/cidr.h"

#include <stddef.h>

#define SG_ADDR_TEXT_MAX 64

/* The client's address into out:
 * - peer itself when peer is not inside one of the n trusted networks, or there
 *   is no X-Forwarded-For (xff NULL or empty);
 * - otherwise the rightmost hop of xff that is not trusted (each trusted hop is
 *   skipped), or the leftmost hop when all of them are trusted;
 * - a hop that is not an IP address (an obfuscated name, garbage) ends the walk:
 *   the client is then the last good address seen (the hop right of it, or peer).
 * Hops may be "[v6]" or "v4:port"; out holds the bare address. */
void sg_forwarded_client(const char *peer, const char *xff, const sg_cidr *trusted, size_t n,
                         char out[SG_ADDR_TEXT_MAX]);

#endif
