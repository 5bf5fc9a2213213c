/* This serve as a node among those sharing one database: its id and start id,
 * its heartbeat (every ~2 s, a queued store write) that takes over dead nodes'
 * claims and tells the dispatcher how many nodes share each sender's mps.
 * docs/postgresql.md, "Several nodes". */
#ifndef SG_DISPATCH_NODES_H
#define SG_DISPATCH_NODES_H

#include "store/store.h"

#include <stddef.h>

typedef struct sg_dispatcher sg_dispatcher;

#define SG_NODE_BEAT_MS 2000         /* heartbeat period */
#define SG_NODE_TIMEOUT_MS_DEF 10000 /* --node-timeout: a heartbeat older is dead */

/* A sender's rate on one of live nodes: the account's mps split evenly, so the
 * nodes together never exceed it (live 0 counts as 1). */
double sg_nodes_share(double mps, size_t live);

/* The default node id from the host name and the listen address: characters a
 * node id may not hold become '-', cut to SG_NODE_ID_MAX - 1 ("host-1:8080"
 * stays "host-1:8080"). */
void sg_node_id_default(char out[SG_NODE_ID_MAX], const char *host, const char *listen);

/* A new random start id (16 hex digits). */
void sg_node_start_id(char out[SG_NODE_START_MAX]);

typedef struct sg_node_beater sg_node_beater;

/* Start the heartbeat of the node registered on s (sg_store_node_register):
 * every SG_NODE_BEAT_MS, the dispatcher's sent count is written, dead nodes'
 * claims (heartbeat older than timeout_ms) are made due (the dispatcher is
 * woken to claim them), and the dispatcher learns the number of live nodes. */
sg_err sg_node_beater_start(sg_store *s, sg_dispatcher *d, int64_t timeout_ms,
                            sg_node_beater **out, sg_error *e);
/* Stop the heartbeat (waits for a beat on its way) and free it. NULL is fine. */
void sg_node_beater_stop(sg_node_beater *b);

#endif
