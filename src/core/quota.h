/* Daily send quotas per API key, counted per UTC day in memory (the caller
 * persists the counts and holds a lock around every call). A key's count for the
 * day is loaded from the store once (sg_quota_load) before the first take, so a
 * restart within the day continues from what was persisted.
 *
 * Bounded: at most SG_QUOTA_SLOTS keys are tracked at once; a full table evicts a
 * count already persisted (it is loaded again when needed), else refuses to
 * track a new key (sg_quota_take answers SG_QUOTA_FULL and the caller refuses the
 * send rather than letting it through uncounted). */
#ifndef SG_CORE_QUOTA_H
#define SG_CORE_QUOTA_H

#include "util/id.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_QUOTA_SLOTS 1024
#define SG_DAY_MS      86400000LL

typedef struct sg_quota_slot {
    char key_id[SG_ID_MAX]; /* "" = free */
    int64_t day;            /* days since 1970-01-01, UTC */
    int64_t sent;           /* counted today, the persisted count included */
    int64_t persisted;      /* what the store holds */
} sg_quota_slot;

typedef struct sg_quota {
    sg_quota_slot slots[SG_QUOTA_SLOTS];
} sg_quota;

typedef enum sg_quota_result {
    SG_QUOTA_OK = 0,   /* counted */
    SG_QUOTA_EXCEEDED, /* the key already sent its limit today; nothing counted */
    SG_QUOTA_UNLOADED, /* load the key's stored count for the day first */
    SG_QUOTA_FULL,     /* too many keys tracked and none can be evicted */
} sg_quota_result;

/* The UTC day of a time in ms since the epoch (floor division: times before 1970
 * give negative days). */
int64_t sg_quota_day(int64_t ms);

/* Record the stored count of key_id for day (a no-op when the key is already
 * tracked for that day). */
sg_quota_result sg_quota_load(sg_quota *q, const char *key_id, int64_t day, int64_t stored);
/* Count one send of key_id on day against limit (> 0). *sent (may be NULL) gets the
 * day's count after the call. */
sg_quota_result sg_quota_take(sg_quota *q, const char *key_id, int64_t day, int64_t limit,
                              int64_t *sent);
/* Give back one send counted by sg_quota_take (the message was not stored after
 * all). */
void sg_quota_give_back(sg_quota *q, const char *key_id, int64_t day);
/* Copy up to max counts not yet persisted into key_ids/days/sents (parallel
 * arrays); returns how many. */
size_t sg_quota_dirty(const sg_quota *q, char (*key_ids)[SG_ID_MAX], int64_t *days,
                      int64_t *sents, size_t max);
/* The store now holds sent for key_id on day. */
void sg_quota_persisted(sg_quota *q, const char *key_id, int64_t day, int64_t sent);

#endif
