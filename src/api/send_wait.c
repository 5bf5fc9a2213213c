/* Waiting for a test message's outcome without holding an HTTP thread
 * (send_wait.h): a list of suspended requests and one thread that polls the
 * store for their messages every POLL_MS. */
#include "api/send_wait.h"

#include "api/accept.h"
#include "api/common.h"
#include "http/problem.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS 100

typedef struct waiter {
    struct waiter *next;
    sg_http_req *req;
    char id[SG_ID_MAX];
    int64_t deadline_ms; /* monotonic */
} waiter;

struct sg_send_waits {
    sg_app *app;
    pthread_t thread;
    pthread_mutex_t m;
    pthread_cond_t cv;
    waiter *list;
    bool stopping;
};

const char *sg_send_wait_outcome(sg_status s, bool timed_out)
{
    switch (s) {
    case SG_STATUS_DELIVERED:
        return "delivered";
    case SG_STATUS_FAILED:
    case SG_STATUS_UNDELIVERED:
    case SG_STATUS_CANCELED:
        return "failed";
    case SG_STATUS_SENT:
        return timed_out ? "sent" : NULL;
    default:
        return timed_out ? "pending" : NULL;
    }
}

static const char *provider_name(sg_app *app, const char *provider_id, char out[64])
{
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(set, provider_id);
    snprintf(out, 64, "%s", p ? p->name : "");
    sg_registry_release(app->registry, set);
    return out[0] ? out : NULL;
}

/* Set req's 200 answer for message m (with its events ev/n) and outcome. */
static void answer(sg_http_req *req, sg_app *app, const sg_message *m, const sg_event *ev,
                   size_t n, const char *outcome)
{
    char name[64];
    json_t *j = json_pack("{s:o, s:s}", "message",
                          sg_message_json(m, ev, n, provider_name(app, m->provider_id, name)),
                          "outcome", outcome);
    if (j && strcmp(outcome, "failed") == 0) {
        if (m->error_code[0])
            json_object_set_new(j, "error_code", json_string(m->error_code));
        if (m->error_message && m->error_message[0])
            json_object_set_new(j, "error_message", json_string(m->error_message));
    }
    sg_http_respond_json(req, 200, j);
}

/* Check w's message; when it has an outcome (or timed_out forces one), answer
 * and resume its request and return true. */
static bool settle(sg_send_waits *ws, waiter *w, bool timed_out)
{
    sg_message m;
    sg_err err = sg_store_message_get(ws->app->store, w->id, &m);
    if (err) {
        sg_api_store_error(w->req, err, "cannot read the test message");
        sg_http_resume(w->req);
        return true;
    }
    const char *outcome = sg_send_wait_outcome(m.status, timed_out);
    if (!outcome) {
        sg_message_free(&m);
        return false;
    }
    /* Answer from one snapshot of the row and its events (they may have moved on
     * since the check, never to a state without an outcome). */
    sg_message snap;
    sg_event *ev = NULL;
    size_t n = 0;
    if (sg_store_message_get_with_events(ws->app->store, w->id, &snap, &ev, &n) == SG_OK) {
        const char *later = sg_send_wait_outcome(snap.status, timed_out);
        sg_message_free(&m);
        m = snap;
        if (later)
            outcome = later;
    }
    answer(w->req, ws->app, &m, ev, n, outcome);
    sg_events_free(ev, n);
    sg_message_free(&m);
    sg_http_resume(w->req);
    return true;
}

/* One pass over the waiting requests: those settled are freed, the rest put back. */
static void poll_once(sg_send_waits *ws)
{
    pthread_mutex_lock(&ws->m);
    waiter *list = ws->list;
    ws->list = NULL;
    pthread_mutex_unlock(&ws->m);
    int64_t now = sg_time_mono_ms();
    waiter *keep = NULL;
    while (list) {
        waiter *w = list;
        list = w->next;
        if (settle(ws, w, now >= w->deadline_ms)) {
            free(w);
        } else {
            w->next = keep;
            keep = w;
        }
    }
    pthread_mutex_lock(&ws->m);
    while (keep) {
        waiter *w = keep;
        keep = w->next;
        w->next = ws->list;
        ws->list = w;
    }
    pthread_mutex_unlock(&ws->m);
}

static void *run(void *arg)
{
    sg_send_waits *ws = arg;
    pthread_mutex_lock(&ws->m);
    while (!ws->stopping) {
        if (!ws->list) {
            pthread_cond_wait(&ws->cv, &ws->m);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += POLL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&ws->cv, &ws->m, &ts);
        if (ws->stopping)
            break;
        pthread_mutex_unlock(&ws->m);
        poll_once(ws);
        pthread_mutex_lock(&ws->m);
    }
    pthread_mutex_unlock(&ws->m);
    return NULL;
}

sg_err sg_send_waits_start(sg_app *app, sg_send_waits **out, sg_error *e)
{
    sg_send_waits *ws = calloc(1, sizeof *ws);
    if (!ws)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    ws->app = app;
    pthread_mutex_init(&ws->m, NULL);
    pthread_cond_init(&ws->cv, NULL);
    if (pthread_create(&ws->thread, NULL, run, ws) != 0) {
        pthread_cond_destroy(&ws->cv);
        pthread_mutex_destroy(&ws->m);
        free(ws);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the send-wait thread");
    }
    *out = ws;
    return SG_OK;
}

void sg_send_waits_stop(sg_send_waits *ws)
{
    if (!ws)
        return;
    pthread_mutex_lock(&ws->m);
    bool joined = ws->stopping;
    ws->stopping = true;
    pthread_cond_signal(&ws->cv);
    waiter *list = ws->list;
    ws->list = NULL;
    pthread_mutex_unlock(&ws->m);
    if (!joined)
        pthread_join(ws->thread, NULL);
    while (list) { /* nobody adds any more: the flag is set */
        waiter *w = list;
        list = w->next;
        settle(ws, w, true);
        free(w);
    }
}

void sg_send_waits_destroy(sg_send_waits *ws)
{
    if (!ws)
        return;
    sg_send_waits_stop(ws);
    pthread_cond_destroy(&ws->cv);
    pthread_mutex_destroy(&ws->m);
    free(ws);
}

void sg_send_wait_hold(sg_http_req *req, sg_app *app, const char *message_id, void *arg)
{
    sg_send_waits *ws = app->send_waits;
    if (!ws) { /* outside `serve`: no route leads here */
        sg_http_problem(req, 503, "unavailable", NULL, "cannot wait for the message here");
        sg_http_resume(req);
        return;
    }
    waiter *w = calloc(1, sizeof *w);
    if (!w) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        sg_http_resume(req);
        return;
    }
    w->req = req;
    snprintf(w->id, sizeof w->id, "%s", message_id);
    w->deadline_ms = sg_time_mono_ms() + (int64_t)(intptr_t)arg * 1000;
    pthread_mutex_lock(&ws->m);
    bool take = !ws->stopping;
    if (take) {
        w->next = ws->list;
        ws->list = w;
        pthread_cond_signal(&ws->cv);
    }
    pthread_mutex_unlock(&ws->m);
    if (take)
        return;
    settle(ws, w, true); /* shutting down: what is known now */
    free(w);
}
