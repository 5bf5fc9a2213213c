/* The simulators' sender thread: a due-time heap of jobs feeding a curl multi
 * handle. Jobs are callback plans (one per message, a few steps each) and
 * one-shot inbound requests. */
#include "sim/sender.h"

#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
    int64_t due_ms; /* monotonic */
    uint64_t seq;   /* FIFO among equal due times */
    bool inbound;
    /* a callback plan */
    const sg_sim_plan_hooks *hooks;
    void *item;
    char id[SG_SIM_ID_MAX];
    const char *api, *method, *plan_url; /* plan_url points into item */
    int64_t base_ms;
    sg_sim_step steps[2 * SG_SIM_PLAN_STEPS_MAX];
    unsigned n_steps, next;
    /* inbound */
    char *url, *body;
    sg_sim_http http;
    char header[SG_TWILIO_SIG_MAX + 256];
    bool has_header;
    sg_sim_post_done done;
    void *ctx;
    /* the transfer */
    sg_sim_post post;
} job;

typedef struct record {
    char id[SG_SIM_ID_MAX];
    const char *api;    /* static or NULL */
    const char *status; /* static */
    const char *method; /* static or NULL */
    int code;
    long http_status; /* 0: none */
    int64_t at_ms;    /* wall clock, when the attempt finished */
    char *url;        /* same allocation */
    char error[160];
} record;

struct sg_sim_sender {
    char *auth_token;
    unsigned sent_delay_ms, delivered_delay_ms;
    bool duplicate, reorder;
    const char *id_key, *code_key;
    sg_sim_plan_hooks twilio; /* Twilio's status callbacks, ctx = this sender */

    pthread_mutex_t lock; /* heap, jobs, seq, stopping */
    job **heap;           /* SG_SIM_SENDER_JOBS_MAX slots */
    size_t n;
    size_t jobs; /* accepted and not finished: in the heap or in flight */
    uint64_t seq;
    bool stopping;

    CURLM *multi;
    pthread_t thread;
    bool running;
    job *active[SG_SIM_SENDER_ACTIVE_MAX]; /* the sender thread's own */
    size_t n_active;

    pthread_mutex_t rec_lock;
    record **ring; /* SG_SIM_SENDER_RECORDS_MAX slots */
    size_t head, count;
    uint64_t total, dropped;
};

/* ---- heap --------------------------------------------------------------------------- */

static bool before(const job *a, const job *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

/* Under s->lock. Returns true when j became the earliest job. */
static bool heap_push(sg_sim_sender *s, job *j)
{
    j->seq = s->seq++;
    size_t i = s->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(j, s->heap[parent]))
            break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = j;
    return i == 0;
}

static job *heap_pop(sg_sim_sender *s)
{
    job *top = s->heap[0];
    job *last = s->heap[--s->n];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= s->n)
            break;
        if (child + 1 < s->n && before(s->heap[child + 1], s->heap[child]))
            child++;
        if (!before(s->heap[child], last))
            break;
        s->heap[i] = s->heap[child];
        i = child;
    }
    if (s->n)
        s->heap[i] = last;
    return top;
}

/* ---- records ------------------------------------------------------------------------ */

static void record_add(sg_sim_sender *s, const job *j, const sg_sim_step *st,
                       const sg_sim_result *r, bool dropped)
{
    size_t ulen = strlen(j->plan_url) + 1;
    record *rec = calloc(1, sizeof *rec + ulen);
    if (!rec)
        return;
    rec->url = (char *)(rec + 1);
    memcpy(rec->url, j->plan_url, ulen);
    memcpy(rec->id, j->id, sizeof rec->id);
    rec->api = j->api;
    rec->method = j->method;
    rec->status = st->status;
    rec->code = st->code;
    rec->http_status = r->http_status;
    rec->at_ms = sg_time_now_ms();
    if (r->error)
        snprintf(rec->error, sizeof rec->error, "%s", r->error);
    if (j->api)
        sg_log(SG_LOG_INFO, "sim_callback", "id=%s api=%s status=%s http_status=%ld error=\"%s\"",
               j->id, j->api, st->status, r->http_status, rec->error);
    else
        sg_log(SG_LOG_INFO, "sim_callback", "sid=%s status=%s http_status=%ld error=\"%s\"", j->id,
               st->status, r->http_status, rec->error);

    record *evicted = NULL;
    pthread_mutex_lock(&s->rec_lock);
    if (s->count == SG_SIM_SENDER_RECORDS_MAX) {
        evicted = s->ring[s->head];
        s->ring[s->head] = rec;
        s->head = (s->head + 1) % SG_SIM_SENDER_RECORDS_MAX;
    } else {
        s->ring[(s->head + s->count) % SG_SIM_SENDER_RECORDS_MAX] = rec;
        s->count++;
    }
    s->total++;
    if (dropped)
        s->dropped++;
    pthread_mutex_unlock(&s->rec_lock);
    free(evicted);
}

void sg_sim_sender_clear(sg_sim_sender *s)
{
    pthread_mutex_lock(&s->rec_lock);
    for (size_t i = 0; i < s->count; i++)
        free(s->ring[(s->head + i) % SG_SIM_SENDER_RECORDS_MAX]);
    s->head = s->count = 0;
    s->total = s->dropped = 0;
    pthread_mutex_unlock(&s->rec_lock);
}

static json_t *record_json(const sg_sim_sender *s, const record *r)
{
    char at[SG_TIME_STR_MAX];
    sg_time_format(r->at_ms, at, sizeof at);
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, s->id_key, json_string(r->id));
    if (r->api)
        json_object_set_new(o, "api", json_string(r->api));
    json_object_set_new(o, "status", json_string(r->status));
    json_object_set_new(o, s->code_key, r->code ? json_integer(r->code) : json_null());
    json_object_set_new(o, "url", json_string(r->url));
    if (r->method)
        json_object_set_new(o, "method", json_string(r->method));
    json_object_set_new(o, "http_status",
                        r->http_status ? json_integer(r->http_status) : json_null());
    json_object_set_new(o, "error", r->error[0] ? json_string(r->error) : json_null());
    json_object_set_new(o, "at", json_string(at));
    return o;
}

json_t *sg_sim_sender_records(sg_sim_sender *s, const char *id)
{
    json_t *list = json_array();
    if (!list)
        return NULL;
    pthread_mutex_lock(&s->rec_lock);
    uint64_t total = s->total, dropped = s->dropped;
    for (size_t i = 0; i < s->count; i++) {
        const record *r = s->ring[(s->head + i) % SG_SIM_SENDER_RECORDS_MAX];
        if (id && strcmp(r->id, id) != 0)
            continue;
        json_array_append_new(list, record_json(s, r));
    }
    pthread_mutex_unlock(&s->rec_lock);
    pthread_mutex_lock(&s->lock);
    size_t pending = s->jobs;
    pthread_mutex_unlock(&s->lock);
    return json_pack("{s:o, s:I, s:I, s:I}", "callbacks", list, "total", (json_int_t)total,
                     "pending", (json_int_t)pending, "dropped", (json_int_t)dropped);
}

/* ---- jobs --------------------------------------------------------------------------- */

static void job_free(job *j)
{
    sg_sim_post_free(&j->post);
    if (j->item)
        j->hooks->unref(j->item);
    free(j->url);
    free(j->body);
    free(j);
}

/* A job leaves the sender. */
static void job_done(sg_sim_sender *s, job *j)
{
    pthread_mutex_lock(&s->lock);
    s->jobs--;
    pthread_mutex_unlock(&s->lock);
    job_free(j);
}

/* Queue a plan job whose steps are filled in; takes j over. */
static bool plan_queue(sg_sim_sender *s, job *j)
{
    j->due_ms = j->base_ms + j->steps[0].offset_ms;
    bool ok = false, full = false, wake = false;
    pthread_mutex_lock(&s->lock);
    if (!s->stopping) {
        if (s->jobs < SG_SIM_SENDER_JOBS_MAX) {
            s->jobs++;
            wake = heap_push(s, j);
            ok = true;
        } else {
            full = true;
        }
    }
    if (wake)
        curl_multi_wakeup(s->multi);
    pthread_mutex_unlock(&s->lock);
    if (!ok) {
        if (full) {
            char why[120];
            snprintf(why, sizeof why, "not sent: %d messages already have callbacks pending",
                     SG_SIM_SENDER_JOBS_MAX);
            record_add(s, j, &j->steps[0], &(sg_sim_result){.error = why}, true);
        }
        job_free(j);
    }
    return ok;
}

/* A new plan job holding its own reference on item. */
static job *plan_job(const sg_sim_plan_hooks *hooks, void *item, const char *id, const char *url,
                     unsigned delay_ms)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    hooks->ref(item);
    j->hooks = hooks;
    j->item = item;
    snprintf(j->id, sizeof j->id, "%s", id);
    j->plan_url = url;
    j->base_ms = sg_time_mono_ms() + delay_ms;
    return j;
}

bool sg_sim_sender_plan(sg_sim_sender *s, const sg_sim_plan *p, const sg_sim_plan_hooks *hooks,
                        unsigned delay_ms)
{
    if (p->n_steps == 0 || p->n_steps > SG_SIM_PLAN_STEPS_MAX)
        return false;
    job *j = plan_job(hooks, p->item, p->id, p->url, delay_ms);
    if (!j)
        return false;
    j->api = p->api;
    j->method = p->method;
    for (unsigned i = 0; i < p->n_steps; i++)
        j->steps[j->n_steps++] = p->steps[i];
    return plan_queue(s, j);
}

static void twilio_ref(void *item)
{
    sg_sim_message_ref(item);
}

static void twilio_unref(void *item)
{
    sg_sim_message_unref(item);
}

/* A Twilio status callback: the A.7 form, signed with the account's token. */
static bool twilio_build(void *ctx, void *item, const sg_sim_step *st, sg_sim_post *post)
{
    const sg_sim_sender *s = ctx;
    const sg_sim_message *m = item;
    sg_buf b;
    sg_buf_init(&b, 16 * 1024);
    sg_sim_status_params p = {
        .message_sid = m->sid,
        .account_sid = m->account_sid,
        .from = m->from,
        .to = m->to,
        .messaging_service_sid = m->messaging_service_sid,
        .status = st->status,
        .error_code = st->code,
        .done_ms = sg_time_now_ms(),
    };
    char sig[SG_TWILIO_SIG_MAX];
    bool ok = sg_sim_status_body(&p, &b) == SG_OK &&
              sg_sim_sign_body(s->auth_token, m->status_callback, sg_buf_cstr(&b), sig);
    char *body = ok ? sg_buf_steal(&b) : NULL;
    sg_buf_free(&b);
    return ok && sg_sim_post_init(post, m->status_callback, body, sig);
}

bool sg_sim_sender_schedule(sg_sim_sender *s, sg_sim_message *m, sg_sim_outcome outcome,
                            unsigned delay_ms)
{
    job *j = plan_job(&s->twilio, m, m->sid, m->status_callback, delay_ms);
    if (!j)
        return false;
    unsigned first = s->sent_delay_ms, second = s->sent_delay_ms + s->delivered_delay_ms;
    sg_sim_step plan[2];
    unsigned n = 0;
    if (outcome == SG_SIM_OUTCOME_FAILED) {
        plan[n++] = (sg_sim_step){"failed", 30008, first};
    } else {
        sg_sim_step sent = {"sent", 0, first};
        sg_sim_step final = outcome == SG_SIM_OUTCOME_UNDELIVERED
                                ? (sg_sim_step){"undelivered", 30003, second}
                                : (sg_sim_step){"delivered", 0, second};
        if (s->reorder) { /* the final status arrives first, sent after it */
            final.offset_ms = first;
            sent.offset_ms = second;
            plan[n++] = final;
            plan[n++] = sent;
        } else {
            plan[n++] = sent;
            plan[n++] = final;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        j->steps[j->n_steps++] = plan[i];
        if (s->duplicate)
            j->steps[j->n_steps++] = plan[i];
    }
    return plan_queue(s, j);
}

bool sg_sim_sender_send(sg_sim_sender *s, const sg_sim_http *h, const char *url, char *body,
                        void (*on_queued)(void *ctx), sg_sim_post_done done, void *ctx)
{
    job *j = calloc(1, sizeof *j);
    if (!j) {
        free(body);
        return false;
    }
    j->inbound = true;
    j->body = body;
    j->url = strdup(url);
    j->http = *h;
    if (h->header) {
        snprintf(j->header, sizeof j->header, "%s", h->header);
        j->has_header = true;
    }
    j->http.header = NULL; /* set from j->header when the request starts */
    j->done = done;
    j->ctx = ctx;
    if (!j->url || (!j->body && strcmp(h->method, "GET") != 0)) {
        job_free(j);
        return false;
    }
    j->due_ms = sg_time_mono_ms();
    bool ok = false;
    pthread_mutex_lock(&s->lock);
    if (!s->stopping && s->jobs < SG_SIM_SENDER_JOBS_MAX) {
        on_queued(ctx);
        s->jobs++;
        heap_push(s, j);
        curl_multi_wakeup(s->multi);
        ok = true;
    }
    pthread_mutex_unlock(&s->lock);
    if (!ok)
        job_free(j);
    return ok;
}

bool sg_sim_sender_post(sg_sim_sender *s, const char *url, char *body, const char *signature,
                        void (*on_queued)(void *ctx), sg_sim_post_done done, void *ctx)
{
    char sig[SG_TWILIO_SIG_MAX + 64];
    if (signature)
        snprintf(sig, sizeof sig, "X-Twilio-Signature: %s", signature);
    sg_sim_http h = {
        .method = "POST",
        .content_type = "application/x-www-form-urlencoded",
        .user_agent = SG_SIM_USER_AGENT,
        .header = signature ? sig : NULL,
    };
    return sg_sim_sender_send(s, &h, url, body, on_queued, done, ctx);
}

/* ---- the thread --------------------------------------------------------------------- */

/* A transfer of j ended with r (or never started). */
static void finish(sg_sim_sender *s, job *j, const sg_sim_result *r)
{
    if (j->inbound) {
        j->done(j->ctx, r);
        job_done(s, j);
        return;
    }
    record_add(s, j, &j->steps[j->next], r, false);
    sg_sim_post_free(&j->post);
    if (++j->next >= j->n_steps) {
        job_done(s, j);
        return;
    }
    int64_t now = sg_time_mono_ms();
    int64_t due = j->base_ms + j->steps[j->next].offset_ms;
    j->due_ms = due > now ? due : now;
    pthread_mutex_lock(&s->lock);
    heap_push(s, j); /* still counted in s->jobs, so there is room */
    pthread_mutex_unlock(&s->lock);
}

static void start(sg_sim_sender *s, job *j)
{
    bool ok;
    if (j->inbound) {
        char *body = j->body;
        j->body = NULL;
        sg_sim_http h = j->http;
        h.header = j->has_header ? j->header : NULL;
        ok = sg_sim_request_init(&j->post, &h, j->url, body);
    } else {
        ok = j->hooks->build(j->hooks->ctx, j->item, &j->steps[j->next], &j->post);
    }
    if (ok) {
        sg_http_call_set_owner(&j->post.call, j);
        ok = curl_multi_add_handle(s->multi, j->post.call.easy) == CURLM_OK;
    }
    if (!ok) {
        finish(s, j, &(sg_sim_result){.error = "cannot start the request (out of memory)"});
        return;
    }
    s->active[s->n_active++] = j;
}

static void drain(sg_sim_sender *s)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(s->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result; /* msg is invalid after remove_handle */
        char *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        job *j = (job *)priv;
        curl_multi_remove_handle(s->multi, easy);
        for (size_t i = 0; i < s->n_active; i++) {
            if (s->active[i] == j) {
                s->active[i] = s->active[--s->n_active];
                break;
            }
        }
        sg_sim_result r;
        sg_sim_post_result(&j->post, rc, &r);
        finish(s, j, &r);
    }
}

static void *run(void *arg)
{
    sg_sim_sender *s = arg;
    job *due[SG_SIM_SENDER_ACTIVE_MAX];
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&s->lock);
        if (s->stopping) {
            pthread_mutex_unlock(&s->lock);
            break;
        }
        int64_t now = sg_time_mono_ms();
        while (s->n_active + n < SG_SIM_SENDER_ACTIVE_MAX && s->n && s->heap[0]->due_ms <= now)
            due[n++] = heap_pop(s);
        pthread_mutex_unlock(&s->lock);

        for (size_t i = 0; i < n; i++)
            start(s, due[i]);
        int running = 0;
        curl_multi_perform(s->multi, &running);
        drain(s); /* may put jobs back into the heap */

        /* Sleep until the next job is due (when a transfer slot is free), curl
         * wants to act, or curl_multi_wakeup: a new earliest job or stop. */
        int wait_ms = 1000;
        pthread_mutex_lock(&s->lock);
        if (s->n && s->n_active < SG_SIM_SENDER_ACTIVE_MAX) {
            int64_t d = s->heap[0]->due_ms - sg_time_mono_ms();
            wait_ms = d < 0 ? 0 : d > 1000 ? 1000 : (int)d;
        }
        pthread_mutex_unlock(&s->lock);
        long timeout = -1;
        curl_multi_timeout(s->multi, &timeout);
        if (timeout >= 0 && timeout < wait_ms)
            wait_ms = (int)timeout;
        if (wait_ms > 0)
            curl_multi_poll(s->multi, NULL, 0, wait_ms, NULL);
    }

    /* Stopping: abandon what is in flight, drop what is pending; an inbound POST
     * still owes its caller an answer. */
    static const sg_sim_result stopped = {.error = "the simulator is stopping"};
    for (size_t i = 0; i < s->n_active; i++) {
        job *j = s->active[i];
        curl_multi_remove_handle(s->multi, j->post.call.easy);
        if (j->inbound)
            j->done(j->ctx, &stopped);
        job_done(s, j);
    }
    s->n_active = 0;
    pthread_mutex_lock(&s->lock);
    while (s->n) {
        job *j = heap_pop(s);
        s->jobs--;
        pthread_mutex_unlock(&s->lock);
        if (j->inbound)
            j->done(j->ctx, &stopped);
        job_free(j);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- life cycle --------------------------------------------------------------------- */

sg_sim_sender *sg_sim_sender_new(const sg_sim_sender_options *o, sg_error *e)
{
    sg_sim_sender *s = calloc(1, sizeof *s);
    if (!s) {
        sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->rec_lock, NULL);
    s->auth_token = strdup(o->auth_token ? o->auth_token : "");
    s->id_key = o->id_key ? o->id_key : "message_sid";
    s->code_key = o->code_key ? o->code_key : "error_code";
    s->twilio = (sg_sim_plan_hooks){twilio_ref, twilio_unref, twilio_build, s};
    s->sent_delay_ms = o->sent_delay_ms;
    s->delivered_delay_ms = o->delivered_delay_ms;
    s->duplicate = o->duplicate;
    s->reorder = o->reorder;
    s->heap = calloc(SG_SIM_SENDER_JOBS_MAX, sizeof *s->heap);
    s->ring = calloc(SG_SIM_SENDER_RECORDS_MAX, sizeof *s->ring);
    s->multi = curl_multi_init();
    if (!s->auth_token || !s->heap || !s->ring || !s->multi) {
        sg_sim_sender_free(s);
        sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
        return NULL;
    }
    curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)SG_SIM_SENDER_ACTIVE_MAX);
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)SG_SIM_SENDER_ACTIVE_MAX);
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        sg_sim_sender_free(s);
        sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the callback thread");
        return NULL;
    }
    s->running = true;
    return s;
}

void sg_sim_sender_stop(sg_sim_sender *s)
{
    if (!s || !s->running)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    curl_multi_wakeup(s->multi);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    s->running = false;
}

void sg_sim_sender_free(sg_sim_sender *s)
{
    if (!s)
        return;
    sg_sim_sender_stop(s);
    if (s->multi)
        curl_multi_cleanup(s->multi);
    if (s->ring) {
        sg_sim_sender_clear(s);
        free(s->ring);
    }
    free(s->heap);
    if (s->auth_token) {
        sodium_memzero(s->auth_token, strlen(s->auth_token));
        free(s->auth_token);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->rec_lock);
    free(s);
}
