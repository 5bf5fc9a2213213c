/* Connections per client address, for the per-address connection limit. A flat
 * table: the number of distinct addresses is bounded by the number of connections
 * the server accepts, so a linear scan stays short. Not thread-safe: the caller
 * holds its lock. */
#ifndef SG_HTTP_PEERS_H
#define SG_HTTP_PEERS_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_peer_count {
    uint8_t addr[16]; /* IPv6, or IPv4 as ::ffff:a.b.c.d */
    unsigned n;
} sg_peer_count;

typedef struct sg_peers {
    sg_peer_count *rows;
    size_t len, cap;
} sg_peers;

/* Room for cap distinct addresses. SG_ERR_NOMEM. */
sg_err sg_peers_init(sg_peers *p, size_t cap);
void sg_peers_free(sg_peers *p);
/* Connections counted for addr. */
unsigned sg_peers_count(const sg_peers *p, const uint8_t addr[16]);
/* Count one more for addr; false (nothing counted) when the table is full. */
bool sg_peers_add(sg_peers *p, const uint8_t addr[16]);
/* Count one less for addr (a row that reaches 0 goes); no-op if not counted. */
void sg_peers_del(sg_peers *p, const uint8_t addr[16]);

#endif
