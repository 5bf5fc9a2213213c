/* This serve as a node: id, start id, heartbeat (dispatch/nodes.h). */
#include "dispatch/nodes.h"
#include "dispatch/dispatcher.h"
#include "util/log.h"
#include "util/time.h"

#include <sodium.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

double sg_nodes_share(double mps, size_t live)
{
    return mps / (double)(live ? live : 1);
}

void sg_node_id_default(char out[SG_NODE_ID_MAX], const char *host, const char *listen)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
    snprintf(out, SG_NODE_ID_MAX, "%s%s%s", host && *host ? host : "node",
             listen && *listen ? "-" : "", listen ? listen : "");
    for (char *p = out; *p; p++)
        if (!strchr(ok, *p))
            *p = '-';
}

void sg_node_start_id(char out[SG_NODE_START_MAX])
{
    unsigned char raw[8];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, SG_NODE_START_MAX, raw, sizeof raw);
}

struct sg_node_beater {
    sg_store *store;
    sg_dispatcher *disp;
    int64_t timeout_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    _Atomic bool pending;    /* a beat is queued at the store */
    _Atomic bool superseded; /* said once */
    _Atomic long live;       /* as last counted (logged when it changes) */
};

/* On the store's writer thread: what the beat found. */
static void on_beat(void *arg, const sg_node_beat_result *r, sg_err err)
{
    sg_node_beater *b = arg;
    if (err) {
        sg_log(SG_LOG_WARN, "node_heartbeat_failed", "error=\"%s\"", sg_strerror(err));
    } else {
        sg_dispatcher_set_nodes(b->disp, r->live);
        if ((long)r->live != atomic_exchange(&b->live, (long)r->live))
            sg_log(SG_LOG_INFO, "nodes_live", "count=%zu detail=\"each sender's mps is shared\"",
                   r->live);
        if (r->taken) {
            sg_log(SG_LOG_INFO, "claims_taken_over",
                   "count=%zu detail=\"held by a dead node; looked up, then sent\"", r->taken);
            sg_dispatcher_wake(b->disp);
        }
        if (r->superseded && !atomic_exchange(&b->superseded, true))
            sg_log(SG_LOG_ERROR, "node_superseded",
                   "detail=\"another serve registered with this node id: give each node its own "
                   "--node-id\"");
    }
    atomic_store(&b->pending, false);
}

static void beat(sg_node_beater *b)
{
    if (atomic_exchange(&b->pending, true))
        return; /* the last one is still on its way */
    if (sg_store_node_beat(b->store, sg_time_now_ms(), sg_dispatcher_sent(b->disp),
                           b->timeout_ms, on_beat, b) != SG_OK)
        atomic_store(&b->pending, false);
}

static void *beater_main(void *arg)
{
    sg_node_beater *b = arg;
    pthread_setname_np(pthread_self(), "sg-node-beat");
    pthread_mutex_lock(&b->lock);
    while (!b->stop) {
        pthread_mutex_unlock(&b->lock);
        beat(b);
        pthread_mutex_lock(&b->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += SG_NODE_BEAT_MS / 1000;
        until.tv_nsec += (long)(SG_NODE_BEAT_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!b->stop && pthread_cond_timedwait(&b->cond, &b->lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

sg_err sg_node_beater_start(sg_store *s, sg_dispatcher *d, int64_t timeout_ms,
                            sg_node_beater **out, sg_error *e)
{
    sg_node_beater *b = calloc(1, sizeof *b);
    if (!b)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    b->store = s;
    b->disp = d;
    b->timeout_ms = timeout_ms;
    atomic_store(&b->live, 1);
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cond, NULL);
    if (pthread_create(&b->thread, NULL, beater_main, b) != 0) {
        free(b);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the heartbeat thread");
    }
    *out = b;
    return SG_OK;
}

void sg_node_beater_stop(sg_node_beater *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stop = true;
    pthread_cond_signal(&b->cond);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL);
    while (atomic_load(&b->pending)) /* the writer answers every job */
        usleep(1000);
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->lock);
    free(b);
}
