#include "api/retention.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sg_retention {
    sg_retention_config cfg;
    sg_store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    bool stopping;
};

/* Sleep ms unless stopping; false when stopping. */
static bool pause_ms(sg_retention *r, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = ts.tv_nsec + (ms % 1000) * 1000000;
    ts.tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    pthread_mutex_lock(&r->lock);
    if (!r->stopping)
        pthread_cond_timedwait(&r->cv, &r->lock, &ts);
    bool go_on = !r->stopping;
    pthread_mutex_unlock(&r->lock);
    return go_on;
}

/* One sweep over the messages older than the cut-off taken at its start. */
static void sweep(sg_retention *r)
{
    sg_purge_cursor cur;
    memset(&cur, 0, sizeof cur);
    int64_t before = sg_time_now_ms() - r->cfg.max_age_ms;
    size_t total = 0;
    while (cur.phase < 2) {
        size_t purged = 0;
        sg_error e = {0};
        if (sg_store_purge_bodies(r->store, before, r->cfg.batch, &cur, &purged, &e) != SG_OK) {
            sg_log(SG_LOG_WARN, "retention_failed", "error=\"%s\"", e.message);
            break;
        }
        total += purged;
        if (cur.phase < 2 && !pause_ms(r, r->cfg.tick_ms))
            break;
    }
    if (total)
        sg_log(SG_LOG_INFO, "bodies_purged", "messages=%zu older_than_ms=%lld", total,
               (long long)r->cfg.max_age_ms);
}

static void *retention_main(void *arg)
{
    sg_retention *r = arg;
    do
        sweep(r);
    while (pause_ms(r, r->cfg.tick_ms));
    return NULL;
}

sg_err sg_retention_start(const sg_retention_config *cfg, sg_store *store, sg_retention **out,
                          sg_error *e)
{
    if (cfg->max_age_ms <= 0)
        return sg_error_set(e, SG_ERR_INVALID, NULL, "the retention age must be positive");
    sg_retention *r = calloc(1, sizeof *r);
    if (!r)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    r->cfg = *cfg;
    if (r->cfg.tick_ms <= 0)
        r->cfg.tick_ms = 60000;
    if (r->cfg.batch == 0)
        r->cfg.batch = 500;
    r->store = store;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, retention_main, r) != 0) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the retention thread");
    }
    sg_log(SG_LOG_INFO, "retention", "bodies_kept_ms=%lld", (long long)r->cfg.max_age_ms);
    *out = r;
    return SG_OK;
}

void sg_retention_stop(sg_retention *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
