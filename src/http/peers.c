#include "http/peers.h"

#include <stdlib.h>
#include <string.h>

sg_err sg_peers_init(sg_peers *p, size_t cap)
{
    p->len = 0;
    p->cap = cap;
    p->rows = calloc(cap ? cap : 1, sizeof *p->rows);
    return p->rows ? SG_OK : SG_ERR_NOMEM;
}

void sg_peers_free(sg_peers *p)
{
    free(p->rows);
    p->rows = NULL;
    p->len = p->cap = 0;
}

static sg_peer_count *find(const sg_peers *p, const uint8_t addr[16])
{
    for (size_t i = 0; i < p->len; i++) {
        if (memcmp(p->rows[i].addr, addr, 16) == 0)
            return &p->rows[i];
    }
    return NULL;
}

unsigned sg_peers_count(const sg_peers *p, const uint8_t addr[16])
{
    const sg_peer_count *row = find(p, addr);
    return row ? row->n : 0;
}

bool sg_peers_add(sg_peers *p, const uint8_t addr[16])
{
    sg_peer_count *row = find(p, addr);
    if (!row) {
        if (p->len >= p->cap)
            return false;
        row = &p->rows[p->len++];
        memcpy(row->addr, addr, 16);
        row->n = 0;
    }
    row->n++;
    return true;
}

void sg_peers_del(sg_peers *p, const uint8_t addr[16])
{
    sg_peer_count *row = find(p, addr);
    if (!row)
        return;
    if (--row->n == 0)
        *row = p->rows[--p->len]; /* the last row moves into the gap */
}
