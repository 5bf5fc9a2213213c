/* The SQLite backend, health: whether writes get through, for /healthz. The
 * writer notes when each group transaction starts and how it ended; a write
 * that has waited SG_STORE_STALL_MS (another process holds the write lock, the
 * disk hangs) or a group whose BEGIN or COMMIT failed makes the store
 * unwritable until a transaction commits again. An idle store is checked by an
 * empty transaction (BEGIN IMMEDIATE, COMMIT: it takes the write lock and
 * writes nothing) asked for at most once a second by sg_store_writable. */
#include "store/sqlite/sqlite_internal.h"
#include "util/time.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define PROBE_EVERY_MS 1000

void sq_health_init(sq_health *h)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->lock, NULL);
}

void sq_health_free(sq_health *h)
{
    pthread_mutex_destroy(&h->lock);
}

void sq_health_begin(sq_health *h)
{
    pthread_mutex_lock(&h->lock);
    h->busy_since = sg_time_mono_ms();
    pthread_mutex_unlock(&h->lock);
}

void sq_health_end(sq_health *h, sg_err gerr, const char *message)
{
    pthread_mutex_lock(&h->lock);
    int64_t now = sg_time_mono_ms();
    h->busy_since = 0;
    if (gerr) {
        h->last_fail = now;
        snprintf(h->last_error, sizeof h->last_error, "%s", message ? message : sg_strerror(gerr));
    } else {
        h->last_ok = now;
    }
    pthread_mutex_unlock(&h->lock);
}

static sg_err probe_run(sg_store *s, conn *c, job *j)
{
    return SG_OK; /* the group's BEGIN IMMEDIATE and COMMIT are the test */
}

static void probe_complete(job *j)
{
    sq_health *h = (sq_health *)((char *)j - offsetof(sq_health, probe));
    pthread_mutex_lock(&h->lock);
    h->probing = false;
    pthread_mutex_unlock(&h->lock);
}

bool sq_writable(sg_store *s, char *reason, size_t cap)
{
    sq_health *h = &sq_of(s)->health;
    pthread_mutex_lock(&h->lock);
    int64_t now = sg_time_mono_ms();
    bool ok = true;
    if (h->busy_since && now - h->busy_since > SG_STORE_STALL_MS) {
        ok = false;
        snprintf(reason, cap,
                 "a write has waited %lld ms for the database (is another process holding "
                 "its write lock?)",
                 (long long)(now - h->busy_since));
    } else if (h->last_fail && h->last_fail >= h->last_ok) {
        ok = false;
        snprintf(reason, cap, "the last write failed: %s", h->last_error);
    } else if (cap) {
        reason[0] = '\0';
    }
    bool probe = !h->probing && (!h->last_ok || now - h->last_ok >= PROBE_EVERY_MS);
    if (probe) {
        h->probing = true;
        memset(&h->probe, 0, sizeof h->probe);
        h->probe.run = probe_run;
        h->probe.complete = probe_complete;
    }
    pthread_mutex_unlock(&h->lock);
    if (probe && sq_submit(s, &h->probe) != SG_OK) {
        pthread_mutex_lock(&h->lock);
        h->probing = false; /* shutting down */
        pthread_mutex_unlock(&h->lock);
    }
    return ok;
}
