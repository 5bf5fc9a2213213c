/* The broadcaster: the internal scheduler of broadcasts. A thread that, every
 * tick, starts the broadcasts whose send_at has come (materialising their
 * recipients in chunks, one transaction each), then turns pending recipients
 * into queued messages at each broadcast's rate (or, without a rate, as fast as
 * the dispatcher drains them, keeping at most max_outstanding waiting), honouring
 * quiet hours in each recipient's time zone, and marks broadcasts done.
 *
 * Everything it decides is in the store, so a restart (even after kill -9)
 * continues where it stopped: a recipient is marked queued in the same
 * transaction that inserts its message. Scheduled single messages need no help
 * from here: the dispatcher claims them when due. */
#ifndef SG_AUDIENCE_BROADCASTER_H
#define SG_AUDIENCE_BROADCASTER_H

#include "store/store.h"

struct sg_dispatcher;
struct sg_country_set;

typedef struct sg_broadcaster_config {
    unsigned tick_ms;          /* how often to look (default 200) */
    unsigned batch;            /* recipients per transaction (default 500) */
    unsigned max_outstanding;  /* unsent messages per broadcast without a rate (default 5000) */
    unsigned chunk;            /* recipients materialised per transaction (default 20000) */
    const char *public_url;    /* base of tracked links */
    /* Destination countries a broadcast may reach (serve --allowed-countries; borrowed,
     * NULL or empty: all); a recipient elsewhere is skipped as invalid. */
    const struct sg_country_set *allowed;
} sg_broadcaster_config;

typedef struct sg_broadcaster sg_broadcaster;

sg_err sg_broadcaster_start(const sg_broadcaster_config *cfg, sg_store *store,
                            struct sg_dispatcher *dispatcher, sg_broadcaster **out, sg_error *e);
/* Look now rather than at the next tick (a broadcast was created or resumed). */
void sg_broadcaster_wake(sg_broadcaster *b);
void sg_broadcaster_stop(sg_broadcaster *b);

#endif
