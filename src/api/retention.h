/* Retention: a thread that blanks the bodies of messages older than the
 * configured age (serve --retain-bodies-days), through the store's writer, in
 * bounded steps (sg_store_purge_bodies), so that a large backlog never holds the
 * writer for long. Status, times, codes and segments stay: statistics are
 * unchanged. A sweep walks every message older than the cut-off; the next sweep
 * starts one tick after the last one ended. */
#ifndef SG_API_RETENTION_H
#define SG_API_RETENTION_H

#include "store/store.h"

typedef struct sg_retention sg_retention;

typedef struct sg_retention_config {
    int64_t max_age_ms; /* bodies older than this are blanked; must be > 0 */
    int64_t tick_ms;    /* pause between steps of a sweep and between sweeps */
    size_t batch;       /* messages looked at per step (one write transaction) */
} sg_retention_config;

sg_err sg_retention_start(const sg_retention_config *cfg, sg_store *store, sg_retention **out,
                          sg_error *e);
/* Stop the thread (a step in progress finishes first). NULL is ignored. */
void sg_retention_stop(sg_retention *r);

#endif
