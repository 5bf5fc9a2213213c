#include "core/quota.h"

#include <stdio.h>
#include <string.h>

int64_t sg_quota_day(int64_t ms)
{
    int64_t d = ms / SG_DAY_MS;
    return ms % SG_DAY_MS < 0 ? d - 1 : d;
}

static sg_quota_slot *find(sg_quota *q, const char *key_id)
{
    for (size_t i = 0; i < SG_QUOTA_SLOTS; i++) {
        if (q->slots[i].key_id[0] && strcmp(q->slots[i].key_id, key_id) == 0)
            return &q->slots[i];
    }
    return NULL;
}

/* A free slot, else one whose count is persisted (or of an older day and
 * persisted): evicting it loses nothing. */
static sg_quota_slot *free_slot(sg_quota *q)
{
    sg_quota_slot *clean = NULL;
    for (size_t i = 0; i < SG_QUOTA_SLOTS; i++) {
        sg_quota_slot *s = &q->slots[i];
        if (!s->key_id[0])
            return s;
        if (!clean && s->sent == s->persisted)
            clean = s;
    }
    return clean;
}

sg_quota_result sg_quota_load(sg_quota *q, const char *key_id, int64_t day, int64_t stored)
{
    sg_quota_slot *s = find(q, key_id);
    if (s && s->day == day)
        return SG_QUOTA_OK;
    if (s && s->sent != s->persisted)
        return SG_QUOTA_FULL; /* yesterday's count is not persisted yet: keep it */
    if (!s && !(s = free_slot(q)))
        return SG_QUOTA_FULL;
    snprintf(s->key_id, sizeof s->key_id, "%s", key_id);
    s->day = day;
    s->sent = s->persisted = stored < 0 ? 0 : stored;
    return SG_QUOTA_OK;
}

sg_quota_result sg_quota_take(sg_quota *q, const char *key_id, int64_t day, int64_t limit,
                              int64_t *sent)
{
    sg_quota_slot *s = find(q, key_id);
    if (!s || s->day != day)
        return SG_QUOTA_UNLOADED;
    if (sent)
        *sent = s->sent;
    if (s->sent >= limit)
        return SG_QUOTA_EXCEEDED;
    s->sent++;
    if (sent)
        *sent = s->sent;
    return SG_QUOTA_OK;
}

void sg_quota_give_back(sg_quota *q, const char *key_id, int64_t day)
{
    sg_quota_slot *s = find(q, key_id);
    if (s && s->day == day && s->sent > s->persisted)
        s->sent--;
}

size_t sg_quota_dirty(const sg_quota *q, char (*key_ids)[SG_ID_MAX], int64_t *days,
                      int64_t *sents, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < SG_QUOTA_SLOTS && n < max; i++) {
        const sg_quota_slot *s = &q->slots[i];
        if (!s->key_id[0] || s->sent == s->persisted)
            continue;
        memcpy(key_ids[n], s->key_id, SG_ID_MAX);
        days[n] = s->day;
        sents[n] = s->sent;
        n++;
    }
    return n;
}

void sg_quota_persisted(sg_quota *q, const char *key_id, int64_t day, int64_t sent)
{
    sg_quota_slot *s = find(q, key_id);
    if (s && s->day == day && sent > s->persisted)
        s->persisted = sent <= s->sent ? sent : s->sent;
}
