/* The password workers: a few threads that run the slow, memory-hard password
 * work (argon2id hashing and verifying, util/password.h) for requests that wait
 * suspended (sg_http_defer), so that sign-in attempts never hold the HTTP
 * threads the rest of the API needs. The queue is bounded: when it is full a
 * request is refused at once (503 busy with Retry-After) rather than waiting. */
#ifndef SG_API_PWPOOL_H
#define SG_API_PWPOOL_H

#include "http/server.h"
#include "util/err.h"

#include <stdbool.h>

typedef struct sg_pwpool sg_pwpool;

#define SG_PWPOOL_THREADS 2
#define SG_PWPOOL_QUEUE   32 /* jobs waiting, beyond those running */

/* Start `threads` workers with a queue of at most `queue_max` jobs. *out is the
 * caller's: stop it with sg_pwpool_stop, then free it with sg_pwpool_destroy. */
sg_err sg_pwpool_start(unsigned threads, unsigned queue_max, sg_pwpool **out, sg_error *e);
/* Hold req (sg_http_defer) and queue run(req, arg) on a worker; run must set the
 * answer and call sg_http_resume(req), and free arg. Returns false, having done
 * nothing (req not held, arg still the caller's), when the queue is full or the
 * pool is stopping; the caller then answers with sg_pwpool_busy. */
bool sg_pwpool_submit(sg_pwpool *p, sg_http_req *req, void (*run)(sg_http_req *req, void *arg),
                      void *arg);
/* Answer req 503 busy with Retry-After. */
void sg_pwpool_busy(sg_http_req *req);
/* Refuse new jobs, run those queued, join the workers. Call before sg_http_stop
 * (which waits for every held request). NULL is a no-op; idempotent. */
void sg_pwpool_stop(sg_pwpool *p);
void sg_pwpool_destroy(sg_pwpool *p);

#endif
