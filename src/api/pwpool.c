/* A fixed set of worker threads over a bounded FIFO of jobs (pwpool.h). */
#include "api/pwpool.h"
#include "http/problem.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>

#define MAX_THREADS 8

typedef struct pw_job {
    struct pw_job *next;
    sg_http_req *req;
    void (*run)(sg_http_req *req, void *arg);
    void *arg;
} pw_job;

struct sg_pwpool {
    pthread_mutex_t m;
    pthread_cond_t cv;
    pw_job *head, *tail;
    unsigned queued, queue_max;
    bool stopping;
    pthread_t threads[MAX_THREADS];
    unsigned n_threads;
};

/* Take the next job, waiting for one; NULL once stopping and the queue is empty. */
static pw_job *next_job(sg_pwpool *p)
{
    pthread_mutex_lock(&p->m);
    while (!p->head && !p->stopping)
        pthread_cond_wait(&p->cv, &p->m);
    pw_job *j = p->head;
    if (j) {
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
    }
    pthread_mutex_unlock(&p->m);
    return j;
}

static void *worker(void *arg)
{
    sg_pwpool *p = arg;
    pw_job *j;
    while ((j = next_job(p)) != NULL) {
        j->run(j->req, j->arg);
        free(j);
    }
    return NULL;
}

sg_err sg_pwpool_start(unsigned threads, unsigned queue_max, sg_pwpool **out, sg_error *e)
{
    sg_pwpool *p = calloc(1, sizeof *p);
    if (!p)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    pthread_mutex_init(&p->m, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->queue_max = queue_max ? queue_max : SG_PWPOOL_QUEUE;
    if (threads == 0 || threads > MAX_THREADS)
        threads = SG_PWPOOL_THREADS;
    for (; p->n_threads < threads; p->n_threads++) {
        if (pthread_create(&p->threads[p->n_threads], NULL, worker, p) != 0) {
            sg_pwpool_stop(p);
            sg_pwpool_destroy(p);
            return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the password workers");
        }
    }
    *out = p;
    return SG_OK;
}

/* The request is held before the job is visible to a worker, so a worker can
 * never resume a request that is not suspended yet. */
bool sg_pwpool_submit(sg_pwpool *p, sg_http_req *req, void (*run)(sg_http_req *req, void *arg),
                      void *arg)
{
    if (!p)
        return false;
    pw_job *j = calloc(1, sizeof *j);
    if (!j)
        return false;
    j->req = req;
    j->run = run;
    j->arg = arg;
    pthread_mutex_lock(&p->m);
    bool ok = !p->stopping && p->queued < p->queue_max;
    if (ok) {
        sg_http_defer(req);
        if (p->tail)
            p->tail->next = j;
        else
            p->head = j;
        p->tail = j;
        p->queued++;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->m);
    if (!ok) {
        free(j);
        sg_log(SG_LOG_WARN, "password_workers_busy", "queued=%u", p->queue_max);
    }
    return ok;
}

void sg_pwpool_busy(sg_http_req *req)
{
    sg_http_add_header(req, "Retry-After", "1");
    sg_http_problem(req, 503, "busy", NULL,
                    "too many sign-ins and password changes in progress; retry in a moment");
}

void sg_pwpool_stop(sg_pwpool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->m);
    bool was = p->stopping;
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->m);
    if (was)
        return;
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
}

void sg_pwpool_destroy(sg_pwpool *p)
{
    if (!p)
        return;
    sg_pwpool_stop(p);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->m);
    free(p);
}
