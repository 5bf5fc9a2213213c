/* The HTTP server: libmicrohttpd with a thread pool, bounded bodies, headers,
 * connections and timeouts; a route table; and requests that can wait (suspended)
 * for the store's group commit without holding a thread.
 *
 * A handler gets an sg_http_req and either answers at once (sg_http_respond*,
 * then returns SG_HTTP_DONE) or calls sg_http_defer(), hands the request to
 * another thread, and returns SG_HTTP_PENDING; that thread later fills in the
 * answer and calls sg_http_resume(). The request stays valid until then. */
#ifndef SG_HTTP_SERVER_H
#define SG_HTTP_SERVER_H

#include "core/cidr.h"
#include "util/buf.h"
#include "util/form.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_http_server sg_http_server;
typedef struct sg_http_req sg_http_req;

typedef enum sg_http_result {
    SG_HTTP_DONE = 0,
    SG_HTTP_PENDING,
} sg_http_result;

#define SG_HTTP_MAX_PARAMS 4

typedef sg_http_result (*sg_http_handler)(sg_http_req *req, void *ctx);
/* A streamed body: called with each piece as it arrives (any size), before the
 * route's handler runs at the end of the body. Return true to go on; false after
 * setting the answer (e.g. sg_http_problem) to refuse the rest, which is then
 * read and dropped, and the handler is not called. */
typedef bool (*sg_http_stream_fn)(sg_http_req *req, const char *data, size_t len, void *ctx);

/* A route: method, a path pattern whose "{name}" segments match one path segment
 * each (available as sg_http_param(req, i) in order), a handler, and an opaque
 * tag the application uses (e.g. the role required). */
typedef struct sg_route {
    const char *method;
    const char *pattern;
    sg_http_handler handler;
    int tag;
    int flags; /* application-defined */
    /* When set the body is not buffered (nor bounded by max_body): each piece goes
     * to stream() as it arrives; `before` runs when the headers are in. */
    sg_http_stream_fn stream;
    /* The largest body this route takes (larger: 413); 0 for the server's
     * max_body, or for unauth_max_body when the request is not authenticated.
     * Routes that cannot authenticate before the body (a provider's signature
     * covers the body) set a small one. */
    size_t max_body;
    /* The query's values are bytes in a charset the handler reads itself (a
     * provider's callback may send ISO-8859-1): they are not checked for UTF-8
     * (the path still is). */
    bool raw_args;
} sg_route;

#define SG_HTTP_MAX_URI      4096       /* longer request targets get 414 */
#define SG_HTTP_MAX_HEADERS  (16 * 1024) /* a larger request line + headers get 431 */
#define SG_HTTP_UNAUTH_BODY  (64 * 1024) /* default unauth_max_body */
#define SG_HTTP_UNAUTH_TOTAL (16u << 20) /* default unauth_budget */

typedef struct sg_http_config {
    const char *listen;       /* "127.0.0.1:8080" or "[::1]:8080" */
    unsigned threads;         /* thread pool size */
    unsigned max_connections; /* concurrent connections */
    unsigned timeout_s;       /* idle connection timeout */
    size_t max_body;          /* larger bodies get 413 */
    const sg_route *routes;   /* terminated by an entry with method NULL */
    void *ctx;                /* passed to handlers */
    /* Called as soon as a routed request's headers are in, before any of its
     * body is read: returns SG_HTTP_DONE after answering (401, 403: the answer
     * goes at once, the body is never read and the connection is closed) or
     * SG_HTTP_PENDING to go on. A request it lets through after setting a user
     * (sg_http_set_user) is authenticated; any other request's body is bounded
     * by the route's max_body (or unauth_max_body) and counts, while it is held,
     * against unauth_budget. May be NULL (nothing is authenticated). */
    sg_http_result (*authenticate)(sg_http_req *req, const sg_route *route, void *ctx);
    /* Called before every routed handler, once the body is in (for a streamed
     * route: when the headers are in); returns SG_HTTP_DONE after answering or
     * SG_HTTP_PENDING to go on. */
    sg_http_result (*before)(sg_http_req *req, const sg_route *route, void *ctx);
    /* Called after a handler that answered at once (not after deferred ones), before
     * the answer is sent. May be NULL. */
    void (*after)(sg_http_req *req, const sg_route *route, void *ctx);
    /* Limits against clients that hold resources without authenticating:
     * unauth_max_body: the body limit of an unauthenticated request to a route
     *   without its own max_body (0: SG_HTTP_UNAUTH_BODY);
     * unauth_budget: bytes all unauthenticated bodies may hold at once; a body
     *   that would pass it gets 503 with Retry-After (0: SG_HTTP_UNAUTH_TOTAL);
     * max_conn_per_ip: open connections per socket peer address, trusted
     *   proxies excepted (0: no limit);
     * header_timeout_s: a request's line and headers must be in within this
     *   of the connection opening or of the previous answer on it (0: none). */
    size_t unauth_max_body;
    size_t unauth_budget;
    unsigned max_conn_per_ip;
    unsigned header_timeout_s;
    /* Reverse proxies whose X-Forwarded-For is believed (sg_forwarded_client):
     * requests through them are attributed to the forwarded client in
     * sg_http_client_ip and in logs. Must outlive the server. */
    const sg_cidr *trusted_proxies;
    size_t n_trusted_proxies;
} sg_http_config;

/* Check a listen address ("127.0.0.1:8080", "[::1]:0") without binding: SG_OK, or
 * SG_ERR_INVALID with a message that names what is wrong (e.g. the port). */
sg_err sg_http_listen_check(const char *listen, sg_error *e);
/* Start listening. *bound_port gets the actual port (useful with port 0). */
sg_err sg_http_start(const sg_http_config *cfg, sg_http_server **out, int *bound_port, sg_error *e);
/* Stop accepting new connections (in-flight requests go on). */
void sg_http_quiesce(sg_http_server *s);
/* Wait up to timeout_ms for requests in flight to finish, and in any case for
 * requests waiting on another thread (sg_http_defer) to be resumed; then stop. */
void sg_http_stop(sg_http_server *s, int timeout_ms);
/* Requests being handled right now. */
long sg_http_in_flight(sg_http_server *s);

/* ---- request ---------------------------------------------------------------------- */

const char *sg_http_method(const sg_http_req *r);
const char *sg_http_path(const sg_http_req *r);
/* The path fit for a log into out: a matched route's "{secret}" segments are
 * replaced by SG_REDACTED and its "{phone}" segments masked (sg_redact_phone);
 * a path no route matches keeps only the segments that are literal words of
 * some route ("*" for the others). */
void sg_http_log_path(const sg_http_req *r, char *out, size_t cap);
/* The i-th "{...}" segment of the matched route, URL-decoded. */
const char *sg_http_param(const sg_http_req *r, int i);
/* A query argument (decoded) or NULL. */
const char *sg_http_query(const sg_http_req *r, const char *key);
/* The query string ("?a=1&b=2", or "" when there is none) into out, which must be
 * empty, rebuilt from the
 * decoded arguments in their order with standard percent-encoding. */
void sg_http_query_string(const sg_http_req *r, sg_buf *out);
/* The query arguments (decoded) as a form, in their order; free with sg_form_free.
 * A value keeps the NUL bytes of a %00 (sg_form_pair.value_len). */
sg_err sg_http_query_form(const sg_http_req *r, sg_form *out);
/* The client's address as text ("127.0.0.1", "::1"), "" if unknown: the socket
 * peer, or, when the peer is a trusted proxy, the address it forwards for. */
void sg_http_client_ip(const sg_http_req *r, char out[64]);
/* A request header or NULL. */
const char *sg_http_header(const sg_http_req *r, const char *name);
const char *sg_http_body(const sg_http_req *r, size_t *len);
/* Per-request slot for the application (e.g. the authenticated key). Setting a
 * new one frees the previous one with its free function. */
void *sg_http_user(const sg_http_req *r);
void sg_http_set_user(sg_http_req *r, void *user, void (*free_fn)(void *));

/* A second per-request slot for a handler's own state (e.g. a streamed body's
 * parser), freed with free_fn when the request ends. */
void *sg_http_state(const sg_http_req *r);
void sg_http_set_state(sg_http_req *r, void *state, void (*free_fn)(void *));

/* ---- response ---------------------------------------------------------------------- */

/* Set the answer. body is copied. */
void sg_http_respond(sg_http_req *r, int status, const char *content_type, const char *body,
                     size_t len);
/* Answer with JSON (serialised compactly). Steals the reference to j. */
void sg_http_respond_json(sg_http_req *r, int status, json_t *j);
/* Answer with a body produced piece by piece: fill(user, buf, max) writes up to
 * max bytes and returns how many, 0 at the end, or -1 on error (the connection is
 * then closed). free_fn(user) runs when the request ends. */
void sg_http_respond_stream(sg_http_req *r, int status, const char *content_type,
                            long (*fill)(void *user, char *buf, size_t max), void *user,
                            void (*free_fn)(void *));
/* The answer set so far: its status and body. */
int sg_http_response_status(const sg_http_req *r);
const char *sg_http_response_body(const sg_http_req *r, size_t *len);
/* Add a response header (copied); at most 4. */
void sg_http_add_header(sg_http_req *r, const char *name, const char *value);

/* Mark the request as waiting; call before handing it to another thread. */
void sg_http_defer(sg_http_req *r);
/* From any thread, once the answer is set: send it. */
void sg_http_resume(sg_http_req *r);

#endif
