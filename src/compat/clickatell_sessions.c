#include "compat/clickatell_sessions.h"
#include "util/crypto.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct session {
    char hash[SG_SHA256_HEX_LEN]; /* "" = free */
    char app_id[SG_ID_MAX];
    int64_t rotated_at;
    int64_t last_used;
} session;

struct sg_ckc_sessions {
    pthread_mutex_t lock;
    unsigned max;
    session *rows;
};

sg_ckc_sessions *sg_ckc_sessions_new(unsigned max)
{
    sg_ckc_sessions *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->max = max ? max : SG_CKC_SESSIONS_MAX;
    t->rows = calloc(t->max, sizeof *t->rows);
    if (!t->rows) {
        free(t);
        return NULL;
    }
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

void sg_ckc_sessions_destroy(sg_ckc_sessions *t)
{
    if (!t)
        return;
    sodium_memzero(t->rows, t->max * sizeof *t->rows);
    free(t->rows);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static bool live(const session *s, int64_t now)
{
    return s->hash[0] && now - s->last_used < SG_CKC_SESSION_IDLE_MS;
}

/* A free or ended row, else the least recently used one. Called locked. */
static session *row_for_new(sg_ckc_sessions *t, int64_t now)
{
    session *oldest = &t->rows[0];
    for (unsigned i = 0; i < t->max; i++) {
        if (!live(&t->rows[i], now))
            return &t->rows[i];
        if (t->rows[i].last_used < oldest->last_used)
            oldest = &t->rows[i];
    }
    return oldest;
}

void sg_ckc_session_new(sg_ckc_sessions *t, const char *app_id, int64_t rotated_at, int64_t now,
                        char id[SG_CKC_SESSION_ID_LEN + 1])
{
    sg_random_hex(id, SG_CKC_SESSION_ID_LEN / 2);
    pthread_mutex_lock(&t->lock);
    session *s = row_for_new(t, now);
    sg_sha256_hex(id, SG_CKC_SESSION_ID_LEN, s->hash);
    snprintf(s->app_id, sizeof s->app_id, "%s", app_id);
    s->rotated_at = rotated_at;
    s->last_used = now;
    pthread_mutex_unlock(&t->lock);
}

/* The live row whose hash is hash, or NULL. Called locked; every row is
 * compared, in constant time, so the time says nothing of where it is. */
static session *find(sg_ckc_sessions *t, const char *hash, int64_t now)
{
    session *found = NULL;
    for (unsigned i = 0; i < t->max; i++) {
        bool eq = t->rows[i].hash[0] && sg_ct_equal(t->rows[i].hash, hash, 64);
        if (eq && live(&t->rows[i], now))
            found = &t->rows[i];
    }
    return found;
}

/* The SHA-256 of id into hash; false when id is not 32 hex digits. */
static bool hash_of(const char *id, char hash[SG_SHA256_HEX_LEN])
{
    if (!id || strlen(id) != SG_CKC_SESSION_ID_LEN ||
        strspn(id, "0123456789abcdef") != SG_CKC_SESSION_ID_LEN)
        return false;
    sg_sha256_hex(id, SG_CKC_SESSION_ID_LEN, hash);
    return true;
}

bool sg_ckc_session_use(sg_ckc_sessions *t, const char *id, int64_t now, char app_id[SG_ID_MAX],
                        int64_t *rotated_at)
{
    char hash[SG_SHA256_HEX_LEN];
    if (!hash_of(id, hash))
        return false;
    pthread_mutex_lock(&t->lock);
    session *s = find(t, hash, now);
    if (s) {
        s->last_used = now;
        snprintf(app_id, SG_ID_MAX, "%s", s->app_id);
        *rotated_at = s->rotated_at;
    }
    pthread_mutex_unlock(&t->lock);
    return s != NULL;
}

void sg_ckc_session_end(sg_ckc_sessions *t, const char *id)
{
    char hash[SG_SHA256_HEX_LEN];
    if (!hash_of(id, hash))
        return;
    pthread_mutex_lock(&t->lock);
    for (unsigned i = 0; i < t->max; i++) {
        if (t->rows[i].hash[0] && sg_ct_equal(t->rows[i].hash, hash, 64))
            memset(&t->rows[i], 0, sizeof t->rows[i]);
    }
    pthread_mutex_unlock(&t->lock);
}
