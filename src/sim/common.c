/* Shared simulator pieces (sim/common.h). */
#include "sim/common.h"

#include "core/gsm7.h"
#include "sim/webhook.h"
#include "util/log.h"
#include "util/time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* ---- command line ------------------------------------------------------------------- */

bool sg_sim_parse_listen(const char *text, const char *example, struct sockaddr_storage *out,
                         char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text) {
        snprintf(why, cap, "--listen wants ADDR:PORT, e.g. %s", example);
        return false;
    }
    char host[64];
    size_t hlen = (size_t)(colon - text);
    if (text[0] == '[' && hlen >= 2 && text[hlen - 1] == ']') {
        text++;
        hlen -= 2;
    }
    if (hlen >= sizeof host) {
        snprintf(why, cap, "--listen: address too long");
        return false;
    }
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    const char *port_text = colon + 1;
    char *end;
    errno = 0;
    unsigned long port = strtoul(port_text, &end, 10);
    if (!*port_text || *end || errno || port > 65535 || port_text[0] == '-' ||
        port_text[0] == '+') {
        snprintf(why, cap, "--listen: port must be 0..65535");
        return false;
    }
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) {
            snprintf(why, cap, "--listen: %s is not a loopback address (127.0.0.0/8 or ::1)", host);
            return false;
        }
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return true;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) {
            snprintf(why, cap, "--listen: %s is not a loopback address (127.0.0.0/8 or ::1)", host);
            return false;
        }
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        return true;
    }
    snprintf(why, cap, "--listen: '%.60s' is not an IP address", host);
    return false;
}

bool sg_sim_parse_probability(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (!*text || *end || errno || !(v >= 0.0 && v <= 1.0))
        return false;
    *out = v;
    return true;
}

bool sg_sim_parse_u64(const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (text[0] < '0' || text[0] > '9')
        return false;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end || errno || v > max)
        return false;
    *out = v;
    return true;
}

bool sg_sim_number_list_add(sg_sim_number_list *l, const char *flag, const char *text,
                            bool (*valid)(const char *number), const char *what, char *why,
                            size_t cap)
{
    char *copy = strdup(text);
    char **copies = copy ? realloc(l->copies, (l->n_copies + 1) * sizeof *copies) : NULL;
    if (!copies) {
        free(copy);
        snprintf(why, cap, "out of memory");
        return false;
    }
    l->copies = copies;
    l->copies[l->n_copies++] = copy;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (!len)
            continue;
        if (!valid(tok)) {
            snprintf(why, cap, "%s: '%.40s' %s", flag, tok, what);
            return false;
        }
        if (l->n >= SG_SIM_NUMBER_LIST_MAX) {
            snprintf(why, cap, "%s: at most %d numbers", flag, SG_SIM_NUMBER_LIST_MAX);
            return false;
        }
        const char **numbers = realloc(l->numbers, (l->n + 1) * sizeof *numbers);
        if (!numbers) {
            snprintf(why, cap, "out of memory");
            return false;
        }
        l->numbers = numbers;
        l->numbers[l->n++] = tok;
    }
    return true;
}

void sg_sim_number_list_free(sg_sim_number_list *l)
{
    for (size_t i = 0; i < l->n_copies; i++)
        free(l->copies[i]);
    free(l->copies);
    free(l->numbers);
    memset(l, 0, sizeof *l);
}

void sg_sim_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void sg_sim_block_signals(sigset_t *sigs)
{
    sigemptyset(sigs);
    sigaddset(sigs, SIGINT);
    sigaddset(sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void sg_sim_print_listening(const struct sockaddr_storage *addr, uint16_t port)
{
    char host[INET6_ADDRSTRLEN] = "";
    if (addr->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, host, sizeof host);
        printf("listening http://[%s]:%u\n", host, port);
    } else {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, host, sizeof host);
        printf("listening http://%s:%u\n", host, port);
    }
    fflush(stdout);
}

void sg_sim_wait_signal(const sigset_t *sigs)
{
    int sig = 0;
    sigwait(sigs, &sig);
    sg_log(SG_LOG_INFO, "sim_stop", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
}

/* ---- misc --------------------------------------------------------------------------- */

double sg_sim_uniform(uint64_t seed, uint64_t index)
{
    uint64_t z = seed + index * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0; /* 2^53 */
}

void sg_sim_mhd_log(void *cls, const char *fmt, va_list ap)
{
    if (!sg_log_enabled(SG_LOG_DEBUG))
        return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == ' '))
        line[--len] = '\0';
    sg_log(SG_LOG_DEBUG, "mhd", "msg=\"%s\"", line);
}

json_t *sg_sim_json_text(const char *body, size_t len)
{
    json_t *t = json_stringn(body, len);
    if (t)
        return t;
    char *copy = malloc(len + 1);
    if (!copy)
        return json_null();
    for (size_t i = 0; i < len; i++)
        copy[i] = (unsigned char)body[i] < 0x80 ? body[i] : '?';
    t = json_stringn(copy, len);
    free(copy);
    return t ? t : json_null();
}

const char *sg_sim_echo(const char *s, char *buf, size_t cap)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    buf[i] = '\0';
    return buf;
}

bool sg_sim_url_ok(const char *url)
{
    size_t len = strlen(url);
    if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        len > SG_SIM_URL_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c == 0x7f)
            return false;
    }
    sg_sms_info info;
    return sg_sms_analyze(url, len, &info) != SG_TEXT_INVALID_UTF8;
}

/* ---- delayed answers ---------------------------------------------------------------- */

static void delay_push(sg_sim_delays *q, sg_sim_delayed d)
{
    size_t i = q->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (q->heap[parent].due_ms <= d.due_ms)
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = d;
}

static sg_sim_delayed delay_pop(sg_sim_delays *q)
{
    sg_sim_delayed top = q->heap[0];
    sg_sim_delayed last = q->heap[--q->n];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= q->n)
            break;
        if (child + 1 < q->n && q->heap[child + 1].due_ms < q->heap[child].due_ms)
            child++;
        if (last.due_ms <= q->heap[child].due_ms)
            break;
        q->heap[i] = q->heap[child];
        i = child;
    }
    if (q->n)
        q->heap[i] = last;
    return top;
}

static void *delay_thread(void *arg)
{
    sg_sim_delays *q = arg;
    struct MHD_Connection *batch[64];
    pthread_mutex_lock(&q->lock);
    for (;;) {
        size_t n = 0;
        int64_t now = sg_time_mono_ms();
        while (q->n && n < 64 && (q->stopping || q->heap[0].due_ms <= now))
            batch[n++] = delay_pop(q).conn;
        if (n) {
            /* Resume outside the lock: MHD takes its own locks. */
            pthread_mutex_unlock(&q->lock);
            for (size_t i = 0; i < n; i++)
                MHD_resume_connection(batch[i]);
            pthread_mutex_lock(&q->lock);
            continue;
        }
        if (q->stopping)
            break;
        if (q->n == 0) {
            pthread_cond_wait(&q->cond, &q->lock);
        } else {
            int64_t due = q->heap[0].due_ms;
            struct timespec ts = {.tv_sec = (time_t)(due / 1000),
                                  .tv_nsec = (long)(due % 1000) * 1000000L};
            pthread_cond_timedwait(&q->cond, &q->lock, &ts);
        }
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

bool sg_sim_delays_init(sg_sim_delays *q, size_t cap)
{
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_condattr_destroy(&ca);
    q->initialised = true;
    q->cap = cap;
    q->heap = calloc(cap, sizeof *q->heap);
    return q->heap != NULL;
}

bool sg_sim_delays_start(sg_sim_delays *q)
{
    if (pthread_create(&q->thread, NULL, delay_thread, q) != 0)
        return false;
    q->running = true;
    return true;
}

bool sg_sim_delays_add(sg_sim_delays *q, struct MHD_Connection *conn, unsigned delay_ms)
{
    bool ok = false;
    pthread_mutex_lock(&q->lock);
    if (!q->stopping && q->n < q->cap) {
        /* Suspend before pushing, under the lock, so the timer can never resume a
         * connection that is not suspended yet. */
        MHD_suspend_connection(conn);
        /* +1: the clock is read in whole milliseconds, never answer early. */
        delay_push(q, (sg_sim_delayed){sg_time_mono_ms() + delay_ms + 1, conn});
        if (q->heap[0].conn == conn)
            pthread_cond_signal(&q->cond);
        ok = true;
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

void sg_sim_delays_free(sg_sim_delays *q)
{
    if (!q->initialised)
        return;
    if (q->running) {
        pthread_mutex_lock(&q->lock);
        q->stopping = true;
        pthread_cond_signal(&q->cond);
        pthread_mutex_unlock(&q->lock);
        pthread_join(q->thread, NULL);
        q->running = false;
    }
    free(q->heap);
    q->heap = NULL;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->cond);
    q->initialised = false;
}

/* ---- accepted messages -------------------------------------------------------------- */

bool sg_sim_ring_init(sg_sim_ring *r, size_t cap, void (*ref)(void *), void (*unref)(void *))
{
    pthread_mutex_init(&r->lock, NULL);
    r->initialised = true;
    r->cap = cap;
    r->ref = ref;
    r->unref = unref;
    r->slots = calloc(cap, sizeof *r->slots);
    return r->slots != NULL;
}

void sg_sim_ring_add(sg_sim_ring *r, void *item)
{
    void *evicted = NULL;
    pthread_mutex_lock(&r->lock);
    if (r->count == r->cap) {
        evicted = r->slots[r->head];
        r->slots[r->head] = item;
        r->head = (r->head + 1) % r->cap;
    } else {
        r->slots[(r->head + r->count) % r->cap] = item;
        r->count++;
    }
    r->total++;
    pthread_mutex_unlock(&r->lock);
    if (evicted)
        r->unref(evicted);
}

void sg_sim_ring_clear(sg_sim_ring *r)
{
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->count; i++)
        r->unref(r->slots[(r->head + i) % r->cap]);
    r->head = r->count = 0;
    r->total = 0;
    pthread_mutex_unlock(&r->lock);
}

void sg_sim_ring_free(sg_sim_ring *r)
{
    if (!r->initialised)
        return;
    if (r->slots)
        sg_sim_ring_clear(r);
    free(r->slots);
    r->slots = NULL;
    pthread_mutex_destroy(&r->lock);
    r->initialised = false;
}

bool sg_sim_ring_snapshot(sg_sim_ring *r, bool (*match)(const void *item, const void *ctx),
                          const void *ctx, void ***items, size_t *n, uint64_t *total)
{
    pthread_mutex_lock(&r->lock);
    *n = 0;
    *total = r->total;
    void **copy = malloc((r->count ? r->count : 1) * sizeof *copy);
    for (size_t i = 0; copy && i < r->count; i++) {
        void *item = r->slots[(r->head + i) % r->cap];
        if (match && !match(item, ctx))
            continue;
        r->ref(item);
        copy[(*n)++] = item;
    }
    pthread_mutex_unlock(&r->lock);
    *items = copy;
    return copy != NULL;
}

struct MHD_Daemon *sg_sim_start_daemon(const struct sockaddr *addr,
                                       MHD_AccessHandlerCallback handler, void *cls,
                                       MHD_RequestCompletedCallback completed, uint16_t *port)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    if (addr->sa_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, cls, MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)4, MHD_OPTION_CONNECTION_LIMIT, (unsigned)SG_SIM_CONNECTIONS_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_EXTERNAL_LOGGER, sg_sim_mhd_log,
        NULL, MHD_OPTION_END);
    if (d) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        *port = info ? info->port : 0;
    }
    return d;
}
