#include "core/reply_limit.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#define N_KINDS (SG_KEYWORD_HELP + 1) /* indexed by sg_keyword_kind; 0 unused */

typedef struct slot {
    uint64_t key; /* the number's hash, never 0; 0 = empty */
    int64_t hour_start;
    uint32_t hour_count;
    uint32_t rule_count; /* keyword rules' replies this hour */
    int64_t last[N_KINDS]; /* last confirmation of each kind; 0 = never */
} slot;

struct sg_reply_limit {
    pthread_mutex_t lock;
    uint64_t seed;
    slot slots[SG_REPLY_SLOTS];
};

sg_reply_limit *sg_reply_limit_new(uint64_t seed)
{
    sg_reply_limit *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    if (pthread_mutex_init(&l->lock, NULL) != 0) {
        free(l);
        return NULL;
    }
    l->seed = seed;
    return l;
}

void sg_reply_limit_destroy(sg_reply_limit *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* FNV-1a keyed by the seed, then splitmix64's finaliser so that the low bits
 * (the slot index) depend on every byte. Never 0. */
static uint64_t number_key(uint64_t seed, const char *number)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (const unsigned char *p = (const unsigned char *)number; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h ? h : 1;
}

/* A slot nobody was confirmed to within the hour (nor within a kind's window)
 * may be given to another number. */
static bool slot_stale(const slot *s, int64_t now_ms)
{
    if (now_ms - s->hour_start < SG_REPLY_HOUR_MS)
        return false;
    for (int k = 0; k < N_KINDS; k++) {
        if (s->last[k] && now_ms - s->last[k] < SG_REPLY_KIND_WINDOW_MS)
            return false;
    }
    return true;
}

/* The number's slot: its own, else an empty or stale one (reset for it), else
 * NULL. Called with the lock held. */
static slot *slot_for(sg_reply_limit *l, uint64_t key, int64_t now_ms)
{
    slot *free_slot = NULL;
    for (size_t i = 0; i < SG_REPLY_PROBE; i++) {
        slot *s = &l->slots[(key + i) % SG_REPLY_SLOTS];
        if (s->key == key)
            return s;
        if (!free_slot && (s->key == 0 || slot_stale(s, now_ms)))
            free_slot = s;
    }
    if (free_slot)
        *free_slot = (slot){.key = key, .hour_start = now_ms};
    return free_slot;
}

/* The number's slot with its hour rolled over (NULL when the table is full).
 * Called with the lock held. */
static slot *slot_now(sg_reply_limit *l, const char *number, int64_t now_ms)
{
    slot *s = slot_for(l, number_key(l->seed, number ? number : ""), now_ms);
    if (s && now_ms - s->hour_start >= SG_REPLY_HOUR_MS) {
        s->hour_start = now_ms;
        s->hour_count = 0;
        s->rule_count = 0;
    }
    return s;
}

sg_reply_verdict sg_reply_limit_take(sg_reply_limit *l, const char *number, sg_keyword_kind kind,
                                     int64_t now_ms)
{
    if (!l)
        return SG_REPLY_OK;
    int k = kind > 0 && kind < N_KINDS ? (int)kind : SG_KEYWORD_HELP;
    sg_reply_verdict v = SG_REPLY_OK;
    pthread_mutex_lock(&l->lock);
    slot *s = slot_now(l, number, now_ms);
    if (!s)
        v = SG_REPLY_TABLE_FULL;
    else if (s->last[k] && now_ms - s->last[k] < SG_REPLY_KIND_WINDOW_MS)
        v = SG_REPLY_KIND_LIMIT;
    else if (s->hour_count >= SG_REPLY_HOURLY_CAP)
        v = SG_REPLY_HOURLY_LIMIT;
    if (v == SG_REPLY_OK) {
        s->last[k] = now_ms ? now_ms : 1;
        s->hour_count++;
    }
    pthread_mutex_unlock(&l->lock);
    return v;
}

sg_reply_verdict sg_reply_limit_take_rule(sg_reply_limit *l, const char *number, int64_t now_ms)
{
    if (!l)
        return SG_REPLY_OK;
    sg_reply_verdict v = SG_REPLY_OK;
    pthread_mutex_lock(&l->lock);
    slot *s = slot_now(l, number, now_ms);
    if (!s)
        v = SG_REPLY_TABLE_FULL;
    else if (s->rule_count >= SG_REPLY_RULE_HOURLY_CAP)
        v = SG_REPLY_HOURLY_LIMIT;
    else
        s->rule_count++;
    pthread_mutex_unlock(&l->lock);
    return v;
}

const char *sg_reply_verdict_name(sg_reply_verdict v)
{
    static const char *const names[] = {"ok", "kind_limit", "hourly_limit", "table_full"};
    return v <= SG_REPLY_TABLE_FULL ? names[v] : "unknown";
}
