#include "http/guard.h"
#include "http/forwarded.h"
#include "http/peers.h"
#include "util/log.h"
#include "util/time.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define WATCH_TICK_MS 250

/* One open connection. deadline is written by the connection's worker thread
 * and read by the watchdog; the list itself is guarded by the guard's lock. */
typedef struct tracked {
    struct tracked *prev, *next;
    int fd;
    uint8_t addr[16];
    char text[SG_ADDR_TEXT_MAX];
    bool counted;              /* in the per-address table */
    _Atomic int64_t deadline;  /* monotonic ms; 0 while a request is being handled */
    _Atomic bool begun;        /* the request line of the next request is in */
    bool expired;              /* shut down by the watchdog */
} tracked;

struct sg_http_guard {
    sg_http_guard_config cfg;
    pthread_mutex_t lock;
    sg_peers peers;
    tracked *head;
    pthread_t watchdog;
    bool watching;
    bool stop;
    pthread_cond_t wake;
};

/* ---- addresses ----------------------------------------------------------------- */

/* sa as 16 bytes (IPv4 mapped into IPv6) and as text; false for other families. */
static bool addr_of(const struct sockaddr *sa, uint8_t bin[16], char text[SG_ADDR_TEXT_MAX])
{
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(bin, mapped, 12);
        memcpy(bin + 12, &a->sin_addr, 4);
        inet_ntop(AF_INET, &a->sin_addr, text, SG_ADDR_TEXT_MAX);
        return true;
    }
    if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        memcpy(bin, &a->sin6_addr, 16);
        inet_ntop(AF_INET6, &a->sin6_addr, text, SG_ADDR_TEXT_MAX);
        return true;
    }
    return false;
}

static bool limited(const sg_http_guard *g, const char *text)
{
    return g->cfg.max_per_addr > 0 &&
           !sg_cidr_list_contains(g->cfg.trusted, g->cfg.n_trusted, text);
}

/* ---- the rate-limited log ---------------------------------------------------------- */

static const char *const limit_names[SG_LIMIT_COUNT] = {"max_conn_per_ip", "header_timeout",
                                                        "unauthenticated_bodies"};
static _Atomic int64_t limit_last_s[SG_LIMIT_COUNT];
static _Atomic long limit_quiet[SG_LIMIT_COUNT];

void sg_http_limit_log(sg_http_limit limit, const char *client)
{
    if (limit < 0 || limit >= SG_LIMIT_COUNT)
        return;
    int64_t now_s = sg_time_mono_ms() / 1000;
    int64_t last = atomic_load(&limit_last_s[limit]);
    if (last == now_s || !atomic_compare_exchange_strong(&limit_last_s[limit], &last, now_s)) {
        atomic_fetch_add(&limit_quiet[limit], 1);
        return;
    }
    long quiet = atomic_exchange(&limit_quiet[limit], 0);
    sg_log(SG_LOG_WARN, "http_limit", "limit=%s client=%s not_logged=%ld", limit_names[limit],
           client && *client ? client : "-", quiet);
}

/* ---- connections ----------------------------------------------------------------- */

bool sg_http_guard_accept(sg_http_guard *g, const struct sockaddr *sa)
{
    uint8_t bin[16];
    char text[SG_ADDR_TEXT_MAX];
    if (!g || !addr_of(sa, bin, text) || !limited(g, text))
        return true;
    pthread_mutex_lock(&g->lock);
    bool ok = sg_peers_count(&g->peers, bin) < g->cfg.max_per_addr;
    pthread_mutex_unlock(&g->lock);
    if (!ok)
        sg_http_limit_log(SG_LIMIT_PER_ADDRESS, text);
    return ok;
}

static int64_t next_deadline(const sg_http_guard *g)
{
    return g->cfg.header_timeout_s ? sg_time_mono_ms() + (int64_t)g->cfg.header_timeout_s * 1000
                                   : 0;
}

void sg_http_guard_opened(sg_http_guard *g, int fd, const struct sockaddr *sa, void **slot)
{
    tracked *t = calloc(1, sizeof *t);
    if (!g || !t) {
        free(t);
        return; /* not guarded; the idle timeout still applies */
    }
    t->fd = fd;
    bool known = addr_of(sa, t->addr, t->text);
    atomic_store(&t->deadline, next_deadline(g));
    pthread_mutex_lock(&g->lock);
    if (known && limited(g, t->text))
        t->counted = sg_peers_add(&g->peers, t->addr);
    t->next = g->head;
    if (g->head)
        g->head->prev = t;
    g->head = t;
    pthread_mutex_unlock(&g->lock);
    *slot = t;
}

void sg_http_guard_closed(sg_http_guard *g, void **slot)
{
    tracked *t = *slot;
    if (!g || !t)
        return;
    pthread_mutex_lock(&g->lock);
    if (t->counted)
        sg_peers_del(&g->peers, t->addr);
    if (t->prev)
        t->prev->next = t->next;
    else
        g->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&g->lock);
    free(t);
    *slot = NULL;
}

void sg_http_guard_request_begun(void *slot)
{
    tracked *t = slot;
    if (t)
        atomic_store(&t->begun, true);
}

void sg_http_guard_headers_in(void *slot)
{
    tracked *t = slot;
    if (t)
        atomic_store(&t->deadline, 0);
}

void sg_http_guard_request_done(sg_http_guard *g, void *slot)
{
    tracked *t = slot;
    if (g && t) {
        atomic_store(&t->begun, false);
        atomic_store(&t->deadline, next_deadline(g));
    }
}

/* ---- the watchdog ---------------------------------------------------------------- */

/* Shut down (not close: libmicrohttpd owns the fd) every connection past its
 * deadline; libmicrohttpd then reads the end of the stream and closes it. The
 * lock makes this safe: a connection leaves the list (sg_http_guard_closed)
 * before libmicrohttpd closes its fd, so a listed fd is still that connection's. */
static void expire(sg_http_guard *g)
{
    int64_t now = sg_time_mono_ms();
    pthread_mutex_lock(&g->lock);
    for (tracked *t = g->head; t; t = t->next) {
        int64_t d = atomic_load(&t->deadline);
        if (t->expired || d == 0 || now < d)
            continue;
        t->expired = true;
        shutdown(t->fd, SHUT_RDWR);
        /* A connection with no request begun is merely idle (a client's
         * keep-alive pool): closed without a word. */
        if (atomic_load(&t->begun))
            sg_http_limit_log(SG_LIMIT_HEADER_TIMEOUT, t->text);
    }
    pthread_mutex_unlock(&g->lock);
}

static void *watch(void *arg)
{
    sg_http_guard *g = arg;
    pthread_setname_np(pthread_self(), "sg-http-guard");
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += WATCH_TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
        if (g->stop)
            break;
        pthread_mutex_unlock(&g->lock);
        expire(g);
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

sg_err sg_http_guard_new(const sg_http_guard_config *c, sg_http_guard **out, sg_error *e)
{
    sg_http_guard *g = calloc(1, sizeof *g);
    if (!g || sg_peers_init(&g->peers, c->max_connections + 64) != SG_OK) {
        free(g);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    }
    g->cfg = *c;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    if (c->header_timeout_s) {
        if (pthread_create(&g->watchdog, NULL, watch, g) != 0) {
            sg_http_guard_destroy(g);
            return sg_error_set(e, SG_ERR_IO, NULL, "cannot start the header-timeout watchdog");
        }
        g->watching = true;
    }
    *out = g;
    return SG_OK;
}

void sg_http_guard_destroy(sg_http_guard *g)
{
    if (!g)
        return;
    if (g->watching) {
        pthread_mutex_lock(&g->lock);
        g->stop = true;
        pthread_cond_signal(&g->wake);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->watchdog, NULL);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    sg_peers_free(&g->peers);
    free(g);
}
