/* The HTTP server's connection guards, kept around libmicrohttpd through its
 * accept-policy and connection-notification callbacks:
 *
 * - a per-address connection limit: a connection from an address that already
 *   has max_per_addr open is closed as soon as it is accepted (nothing is read
 *   or answered). Trusted proxies are exempt (their clients are told apart by
 *   X-Forwarded-For, which can only be read once a request is in);
 * - a deadline for each request's line and headers: header_timeout_s after a
 *   connection opens, or after the previous answer on it, the headers must be
 *   in, or the connection is shut down. libmicrohttpd's own timeout is an idle
 *   timeout that every byte restarts, which a client trickling its headers
 *   never meets; this one does not move. A keep-alive connection idle that
 *   long (no request line yet) is closed too, but not logged;
 * - sg_http_limit_log: one line per second at most for each limit that bites,
 *   with a count of the refusals not logged since. */
#ifndef SG_HTTP_GUARD_H
#define SG_HTTP_GUARD_H

#include "core/cidr.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct sg_http_guard sg_http_guard;

typedef struct sg_http_guard_config {
    unsigned max_per_addr;     /* connections per client address; 0: no limit */
    unsigned header_timeout_s; /* 0: no deadline */
    size_t max_connections;    /* the server's connection limit (sizes a table) */
    const sg_cidr *trusted;    /* trusted proxies (exempt from max_per_addr) */
    size_t n_trusted;
} sg_http_guard_config;

/* Start the guards (and, with a deadline, a watchdog thread). The config's
 * trusted list must outlive the guard. */
sg_err sg_http_guard_new(const sg_http_guard_config *c, sg_http_guard **out, sg_error *e);
/* Stop the watchdog and free. Call after the last connection has closed. */
void sg_http_guard_destroy(sg_http_guard *g);

/* libmicrohttpd's accept policy: false to refuse a connection from sa. */
bool sg_http_guard_accept(sg_http_guard *g, const struct sockaddr *sa);
/* A connection was set up (its socket fd, its peer); *slot is the connection's
 * socket context, where the guard keeps its record. */
void sg_http_guard_opened(sg_http_guard *g, int fd, const struct sockaddr *sa, void **slot);
/* The connection is closing (its fd is still open): forget it. */
void sg_http_guard_closed(sg_http_guard *g, void **slot);
/* The request line of the connection's next request is in. slot may be NULL. */
void sg_http_guard_request_begun(void *slot);
/* The headers of the connection's current request are in: no deadline until the
 * answer has gone (sg_http_guard_request_done). slot may be NULL. */
void sg_http_guard_headers_in(void *slot);
/* A request ended: the next one's headers are due within the deadline. */
void sg_http_guard_request_done(sg_http_guard *g, void *slot);

/* The limits sg_http_limit_log reports. */
typedef enum sg_http_limit {
    SG_LIMIT_PER_ADDRESS = 0, /* --max-conn-per-ip */
    SG_LIMIT_HEADER_TIMEOUT,  /* --header-timeout */
    SG_LIMIT_UNAUTH_BODIES,   /* the budget for bodies of unauthenticated requests */
    SG_LIMIT_COUNT,
} sg_http_limit;

/* Log (warn) that limit refused something from client (an address), at most once
 * a second per limit. */
void sg_http_limit_log(sg_http_limit limit, const char *client);

#endif
