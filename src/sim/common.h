/* Pieces every simulator kind shares: the command line (loopback --listen,
 * numbers, number lists, signals and the "listening" line), the seeded failure
 * generator, the --latency-ms delay queue of suspended libmicrohttpd connections,
 * and a bounded ring of reference-counted records for GET /sim/messages. */
#ifndef SG_SIM_COMMON_H
#define SG_SIM_COMMON_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Exit codes as in simulate.h (cli/ is a higher layer, not included). */
enum { SG_SIM_EXIT_OK = 0, SG_SIM_EXIT_FAIL = 1, SG_SIM_EXIT_USAGE = 2 };

#define SG_SIM_NUMBER_LIST_MAX 10000

/* ---- command line ------------------------------------------------------------------- */

/* "127.0.0.1:18091", "localhost:0" or "[::1]:8080", loopback only. example is the
 * ADDR:PORT shown when the text has no port. False with why on a bad address. */
bool sg_sim_parse_listen(const char *text, const char *example, struct sockaddr_storage *out,
                         char *why, size_t cap);
/* A number in [0, 1]. */
bool sg_sim_parse_probability(const char *text, double *out);
/* A whole decimal number 0..max (no sign). */
bool sg_sim_parse_u64(const char *text, uint64_t max, uint64_t *out);

/* Numbers given to list flags such as --undelivered (the flags may repeat). */
typedef struct sg_sim_number_list {
    char **copies; /* strdup'd optargs, cut at the commas */
    size_t n_copies;
    const char **numbers;
    size_t n;
} sg_sim_number_list;

/* Append the comma-separated numbers of text (spaces around them trimmed, empty
 * items skipped). valid checks each; a bad one gives false with why =
 * "<flag>: '<number>' <what>". At most SG_SIM_NUMBER_LIST_MAX numbers. */
bool sg_sim_number_list_add(sg_sim_number_list *l, const char *flag, const char *text,
                            bool (*valid)(const char *number), const char *what, char *why,
                            size_t cap);
void sg_sim_number_list_free(sg_sim_number_list *l);

/* Many concurrent connections in benchmarks: use the hard limit on descriptors. */
void sg_sim_raise_fd_limit(void);
/* Block SIGINT and SIGTERM in this thread and every thread started after (they are
 * taken by sg_sim_wait_signal) and ignore SIGPIPE. */
void sg_sim_block_signals(sigset_t *sigs);
/* Print "listening http://ADDR:PORT" (IPv6 in brackets) on stdout and flush. */
void sg_sim_print_listening(const struct sockaddr_storage *addr, uint16_t port);
/* Wait for SIGINT or SIGTERM (blocked by sg_sim_block_signals); logs sim_stop. */
void sg_sim_wait_signal(const sigset_t *sigs);

/* ---- misc --------------------------------------------------------------------------- */

/* A uniform number in [0, 1): splitmix64 over seed and the draw's index (1, 2, ...),
 * so a given seed and request order give the same draws. */
double sg_sim_uniform(uint64_t seed, uint64_t index);
/* libmicrohttpd's error log, at debug level. */
void sg_sim_mhd_log(void *cls, const char *fmt, va_list ap);

#define SG_SIM_CONNECTIONS_MAX 4096 /* per simulator; also the latency queue's size */

/* Start a simulator's HTTP daemon on addr: a thread pool over epoll, suspend and
 * resume allowed (latency), bounded connections and idle time, completed() called
 * per request. NULL if the address cannot be bound; *port gets the bound port. */
struct MHD_Daemon *sg_sim_start_daemon(const struct sockaddr *addr,
                                       MHD_AccessHandlerCallback handler, void *cls,
                                       MHD_RequestCompletedCallback completed, uint16_t *port);
/* Bytes as a JSON string; jansson refuses invalid UTF-8, so such bytes become '?'. */
json_t *sg_sim_json_text(const char *body, size_t len);
/* Echo of client input inside an error message: printable ASCII only (others
 * '?'), at most cap - 1 bytes. Returns buf. */
const char *sg_sim_echo(const char *s, char *buf, size_t cap);
/* An http:// or https:// URL of at most SG_SIM_URL_MAX bytes, valid UTF-8, no
 * control characters or spaces. */
bool sg_sim_url_ok(const char *url);

/* ---- delayed answers (--latency-ms) ------------------------------------------------- */

typedef struct sg_sim_delayed {
    int64_t due_ms; /* monotonic */
    struct MHD_Connection *conn;
} sg_sim_delayed;

/* A min-heap of suspended connections by due time, and the thread that resumes
 * them. Its size is bounded by the connection limit. */
typedef struct sg_sim_delays {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC */
    sg_sim_delayed *heap;
    size_t n, cap;
    bool stopping;
    pthread_t thread;
    bool running;
    bool initialised;
} sg_sim_delays;

/* Allocate for cap connections; false on out of memory (free it anyway). */
bool sg_sim_delays_init(sg_sim_delays *q, size_t cap);
bool sg_sim_delays_start(sg_sim_delays *q);
/* Suspend conn and schedule its resumption in delay_ms. False when the queue is
 * stopping or full: the caller answers at once. Called from the access handler. */
bool sg_sim_delays_add(sg_sim_delays *q, struct MHD_Connection *conn, unsigned delay_ms);
/* Resume every connection, join the thread, free. Idempotent. */
void sg_sim_delays_free(sg_sim_delays *q);

/* ---- accepted messages -------------------------------------------------------------- */

/* The last cap items, oldest first from head; the ring holds one reference each. */
typedef struct sg_sim_ring {
    pthread_mutex_t lock;
    void **slots;
    size_t cap, head, count;
    uint64_t total; /* added since start or the last clear */
    void (*ref)(void *item);
    void (*unref)(void *item);
    bool initialised;
} sg_sim_ring;

bool sg_sim_ring_init(sg_sim_ring *r, size_t cap, void (*ref)(void *), void (*unref)(void *));
/* Takes over the caller's reference to item; the evicted oldest is unref'd. */
void sg_sim_ring_add(sg_sim_ring *r, void *item);
void sg_sim_ring_clear(sg_sim_ring *r);
void sg_sim_ring_free(sg_sim_ring *r);
/* The items match accepts (all when match is NULL), oldest first, each with a
 * reference the caller drops; references are taken under the lock, so the JSON can
 * be built outside it. *items is malloc'd (NULL on out of memory: returns false). */
bool sg_sim_ring_snapshot(sg_sim_ring *r, bool (*match)(const void *item, const void *ctx),
                          const void *ctx, void ***items, size_t *n, uint64_t *total);

#endif
