#include "api/send_limits.h"
#include "core/country_set.h"
#include "core/phone.h"
#include "core/quota.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/time.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLUSH_EVERY_MS 1000
#define FLUSH_BATCH    256

struct sg_send_limits {
    sg_store *store;
    sg_country_set allowed;
    pthread_mutex_t lock; /* quota */
    sg_quota quota;
    pthread_mutex_t flush_lock; /* one flush at a time */
    pthread_t thread;
    bool started;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cv;
    bool stopping;
};

static bool refuse_country(sg_reject *rej, const char *region, const char *whose, const char *to)
{
    sg_metrics_send_refused("country_not_allowed");
    if (!region[0])
        return sg_reject_set(rej, 403, "country_not_allowed", "to",
                             "%s belongs to no single country; %s allows only listed countries",
                             to, whose);
    return sg_reject_set(rej, 403, "country_not_allowed", "to",
                         "sending to %s (%s) is not allowed: %s does not include that country",
                         region, to, whose);
}

/* Count one send of key k against its quota, loading the stored count for the
 * day first when needed. */
static bool take_quota(sg_send_limits *l, const sg_caller *k, int64_t now, sg_reject *rej)
{
    int64_t day = sg_quota_day(now), sent = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        pthread_mutex_lock(&l->lock);
        sg_quota_result r = sg_quota_take(&l->quota, k->key_id, day, k->daily_quota, &sent);
        pthread_mutex_unlock(&l->lock);
        if (r == SG_QUOTA_OK)
            return true;
        if (r == SG_QUOTA_EXCEEDED) {
            sg_metrics_send_refused("daily_quota_exceeded");
            return sg_reject_set(rej, 429, "daily_quota_exceeded", NULL,
                                 "this API key's daily quota of %lld messages is used up "
                                 "(%lld sent today, UTC); it renews at 00:00 UTC",
                                 (long long)k->daily_quota, (long long)sent);
        }
        if (r == SG_QUOTA_FULL) { /* counts not persisted yet hold the slots */
            sg_send_limits_flush(l);
        }
        int64_t stored = 0;
        if (sg_store_key_usage_get(l->store, k->key_id, day, &stored) != SG_OK)
            break;
        pthread_mutex_lock(&l->lock);
        sg_quota_load(&l->quota, k->key_id, day, stored);
        pthread_mutex_unlock(&l->lock);
    }
    return sg_reject_set(rej, 503, "store_error", NULL,
                         "cannot read this API key's sends today; try again");
}

bool sg_send_limits_check(sg_send_limits *l, const sg_caller *caller, const sg_message *m,
                          int64_t now, sg_reject *rej)
{
    if (!l)
        return true;
    static const sg_caller nobody;
    const sg_caller *k = caller && caller->key_id[0] ? caller : &nobody;
    char region[3] = "";
    if ((l->allowed.n || k->countries.n) && !sg_phone_region(m->to, region))
        region[0] = '\0';
    if (l->allowed.n && !sg_country_set_allows(&l->allowed, region[0] ? region : NULL))
        return refuse_country(rej, region, "this deployment (--allowed-countries)", m->to);
    if (k->countries.n && !sg_country_set_allows(&k->countries, region[0] ? region : NULL))
        return refuse_country(rej, region, "this API key's countries", m->to);
    return k->daily_quota <= 0 || take_quota(l, k, now, rej);
}

sg_err sg_send_limits_flush(sg_send_limits *l)
{
    static char ids[FLUSH_BATCH][SG_ID_MAX];
    static int64_t days[FLUSH_BATCH], sents[FLUSH_BATCH];
    sg_key_usage rows[FLUSH_BATCH];
    sg_err err = SG_OK;
    pthread_mutex_lock(&l->flush_lock); /* also guards the static arrays */
    for (;;) {
        pthread_mutex_lock(&l->lock);
        size_t n = sg_quota_dirty(&l->quota, ids, days, sents, FLUSH_BATCH);
        pthread_mutex_unlock(&l->lock);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            memcpy(rows[i].key_id, ids[i], SG_ID_MAX);
            rows[i].day = days[i];
            rows[i].sent = sents[i];
        }
        sg_error e = {0};
        if ((err = sg_store_key_usage_put(l->store, rows, n, &e))) {
            sg_log(SG_LOG_WARN, "key_usage_not_saved", "error=\"%s\"", e.message);
            break;
        }
        pthread_mutex_lock(&l->lock);
        for (size_t i = 0; i < n; i++)
            sg_quota_persisted(&l->quota, rows[i].key_id, rows[i].day, rows[i].sent);
        pthread_mutex_unlock(&l->lock);
        if (n < FLUSH_BATCH)
            break;
    }
    pthread_mutex_unlock(&l->flush_lock);
    return err;
}

static void *flush_main(void *arg)
{
    sg_send_limits *l = arg;
    pthread_mutex_lock(&l->stop_lock);
    while (!l->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += FLUSH_EVERY_MS / 1000;
        pthread_cond_timedwait(&l->stop_cv, &l->stop_lock, &ts);
        pthread_mutex_unlock(&l->stop_lock);
        sg_send_limits_flush(l);
        pthread_mutex_lock(&l->stop_lock);
    }
    pthread_mutex_unlock(&l->stop_lock);
    return NULL;
}

sg_err sg_send_limits_new(sg_store *store, const char *allowed, sg_send_limits **out,
                          sg_error *e)
{
    sg_send_limits *l = calloc(1, sizeof *l);
    if (!l)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    l->store = store;
    char bad[16];
    if (!sg_country_set_parse(allowed, &l->allowed, bad)) {
        free(l);
        return sg_error_set(e, SG_ERR_INVALID, "allowed-countries",
                            "--allowed-countries: '%s' is not a two-letter region such as GB "
                            "(at most %d)",
                            bad, SG_COUNTRY_SET_MAX);
    }
    pthread_mutex_init(&l->lock, NULL);
    pthread_mutex_init(&l->flush_lock, NULL);
    pthread_mutex_init(&l->stop_lock, NULL);
    pthread_cond_init(&l->stop_cv, NULL);
    if (pthread_create(&l->thread, NULL, flush_main, l) != 0) {
        sg_send_limits_destroy(l);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start a thread");
    }
    l->started = true;
    char text[SG_COUNTRY_TEXT_MAX];
    sg_country_set_format(&l->allowed, text, sizeof text);
    sg_log(SG_LOG_INFO, "send_limits", "allowed_countries=%s", text[0] ? text : "all");
    *out = l;
    return SG_OK;
}

void sg_send_limits_destroy(sg_send_limits *l)
{
    if (!l)
        return;
    if (l->started) {
        pthread_mutex_lock(&l->stop_lock);
        l->stopping = true;
        pthread_cond_signal(&l->stop_cv);
        pthread_mutex_unlock(&l->stop_lock);
        pthread_join(l->thread, NULL);
        sg_send_limits_flush(l);
    }
    pthread_cond_destroy(&l->stop_cv);
    pthread_mutex_destroy(&l->stop_lock);
    pthread_mutex_destroy(&l->flush_lock);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
