#include "http/server.h"
#include "core/redact.h"
#include "http/forwarded.h"
#include "http/guard.h"
#include "http/problem.h"
#include "util/form.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/time.h"
#include "util/utf8.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_RESP_HEADERS 4
#define MAX_PATH         1024
/* libmicrohttpd's memory per connection: the request head, the parsed headers and
 * query arguments, the read buffer; it zeroes all of it for every request, so it
 * is resident and costs a memset per request. 32 KiB holds a request at this
 * server's own limits (SG_HTTP_MAX_URI, SG_FORM_MAX_PAIRS arguments of 56 bytes
 * each in libmicrohttpd, headers up to SG_HTTP_MAX_HEADERS), so that such
 * requests get this server's problem+json answers; only a request head larger
 * than about 32 KiB still meets libmicrohttpd's own 414/431 page
 * (docs/internals/memory.md). */
#define CONN_MEMORY (32 * 1024)

struct sg_http_server {
    struct MHD_Daemon *d;
    sg_http_config cfg;
    sg_http_guard *guard;
    _Atomic long in_flight;
    _Atomic long deferred;      /* suspended, waiting for another thread's sg_http_resume */
    _Atomic size_t unauth_held; /* bytes held by bodies of unauthenticated requests */
};

typedef enum req_state {
    REQ_NEW = 0,
    REQ_RUNNING,  /* handler ran, nothing queued yet */
    REQ_DEFERRED, /* suspended, waiting for sg_http_resume */
    REQ_READY,    /* answer set after a deferral */
} req_state;

struct sg_http_req {
    sg_http_server *srv;
    struct MHD_Connection *conn;
    const char *method; /* NULL until the headers are in */
    char path[MAX_PATH];
    char params[SG_HTTP_MAX_PARAMS][256];
    char client[SG_ADDR_TEXT_MAX];
    size_t uri_len;          /* the raw request target's length */
    size_t uri_args;         /* query arguments in it (counted before parsing) */
    const sg_route *route;   /* the matched route, once the headers are in */
    bool authenticated;      /* the authenticate hook set a user */
    sg_buf body;             /* bounded by the route's limit */
    size_t unauth_held;      /* bytes of body counted in srv->unauth_held */
    bool refused;            /* answered; the rest of the body is dropped */
    _Atomic int state;
    int64_t start_us;

    int status;
    const char *content_type;
    char *resp;
    size_t resp_len;
    char *hdr_name[MAX_RESP_HEADERS];
    char *hdr_value[MAX_RESP_HEADERS];
    int n_hdr;

    void *user;
    void (*user_free)(void *);
    void *hstate; /* sg_http_state */
    void (*hstate_free)(void *);
    /* a streamed answer (sg_http_respond_stream) */
    long (*fill)(void *user, char *buf, size_t max);
    void *fill_user;
    void (*fill_free)(void *);
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- request accessors ----------------------------------------------------------- */

const char *sg_http_method(const sg_http_req *r)
{
    return r->method;
}

const char *sg_http_path(const sg_http_req *r)
{
    return r->path;
}

const char *sg_http_param(const sg_http_req *r, int i)
{
    return i >= 0 && i < SG_HTTP_MAX_PARAMS ? r->params[i] : "";
}

const char *sg_http_query(const sg_http_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    sg_buf *out = cls;
    sg_buf_append_str(out, out->len ? "&" : "?");
    sg_url_encode(out, key);
    if (value) {
        sg_buf_append_str(out, "=");
        sg_url_encode(out, value);
    }
    return MHD_YES;
}

void sg_http_query_string(const sg_http_req *r, sg_buf *out)
{
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_arg, out);
}

/* Values keep the NUL bytes a %00 decodes to (value_len counts them), as
 * sg_form_parse_keep_nul does: C strings would cut them short silently. */
static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    sg_form *f = cls;
    if (f->n >= SG_FORM_MAX_PAIRS || strlen(key) != key_size)
        return MHD_NO;
    sg_form_pair *p = realloc(f->pairs, (f->n + 1) * sizeof *p);
    if (!p)
        return MHD_NO;
    f->pairs = p;
    p[f->n].key = strdup(key);
    p[f->n].value = malloc(value_size + 1);
    if (p[f->n].value) {
        if (value_size)
            memcpy(p[f->n].value, value, value_size);
        p[f->n].value[value_size] = '\0';
    }
    p[f->n].value_len = value_size;
    if (!p[f->n].key || !p[f->n].value) {
        free(p[f->n].key);
        free(p[f->n].value);
        return MHD_NO;
    }
    f->n++;
    return MHD_YES;
}

sg_err sg_http_query_form(const sg_http_req *r, sg_form *out)
{
    out->pairs = NULL;
    out->n = 0;
    int total = MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, NULL, NULL);
    int got = MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, out);
    if (got < 0 || (size_t)total != out->n) {
        sg_form_free(out);
        return total > SG_FORM_MAX_PAIRS ? SG_ERR_TOO_LARGE : SG_ERR_NOMEM;
    }
    return SG_OK;
}

/* The socket peer's address as text ("" if unknown). */
static void peer_address(struct MHD_Connection *conn, char out[SG_ADDR_TEXT_MAX])
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, SG_ADDR_TEXT_MAX);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
                  SG_ADDR_TEXT_MAX);
}

void sg_http_client_ip(const sg_http_req *r, char out[64])
{
    snprintf(out, 64, "%s", r->client);
}

const char *sg_http_header(const sg_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *sg_http_body(const sg_http_req *r, size_t *len)
{
    *len = r->body.len;
    return sg_buf_cstr(&r->body);
}

void *sg_http_user(const sg_http_req *r)
{
    return r->user;
}

void sg_http_set_user(sg_http_req *r, void *user, void (*free_fn)(void *))
{
    if (r->user && r->user_free && r->user != user)
        r->user_free(r->user);
    r->user = user;
    r->user_free = free_fn;
}

void *sg_http_state(const sg_http_req *r)
{
    return r->hstate;
}

void sg_http_set_state(sg_http_req *r, void *state, void (*free_fn)(void *))
{
    if (r->hstate && r->hstate_free && r->hstate != state)
        r->hstate_free(r->hstate);
    r->hstate = state;
    r->hstate_free = free_fn;
}

/* ---- responses ------------------------------------------------------------------ */

void sg_http_respond_stream(sg_http_req *r, int status, const char *content_type,
                            long (*fill)(void *user, char *buf, size_t max), void *user,
                            void (*free_fn)(void *))
{
    free(r->resp);
    r->resp = NULL;
    r->resp_len = 0;
    if (r->fill_free)
        r->fill_free(r->fill_user);
    r->status = status;
    r->content_type = content_type;
    r->fill = fill;
    r->fill_user = user;
    r->fill_free = free_fn;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    sg_http_req *r = cls;
    long n = r->fill(r->fill_user, buf, max);
    if (n > 0)
        return n;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

void sg_http_respond(sg_http_req *r, int status, const char *content_type, const char *body,
                     size_t len)
{
    free(r->resp);
    r->resp = malloc(len + 1);
    if (r->resp) {
        memcpy(r->resp, body, len);
        r->resp[len] = '\0';
        r->resp_len = len;
    } else {
        r->resp_len = 0;
        status = 500;
    }
    r->status = status;
    r->content_type = content_type;
}

/* Reals with 15 significant digits, not jansson's 17: every real smsgate
 * answers with (a rate rounded to 4 decimals, a value a user wrote) then reads
 * as written ("0.3333", not "0.33329999999999999"). */
void sg_http_respond_json(sg_http_req *r, int status, json_t *j)
{
    char *text =
        j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(j);
    if (!text) {
        static const char oom[] =
            "{\"type\":\"about:blank\",\"title\":\"Internal error\",\"status\":500,"
            "\"code\":\"internal\"}";
        sg_http_respond(r, 500, "application/problem+json", oom, sizeof oom - 1);
        return;
    }
    free(r->resp);
    r->resp = text;
    r->resp_len = strlen(text);
    r->status = status;
    r->content_type = status >= 400 ? "application/problem+json" : "application/json";
}

int sg_http_response_status(const sg_http_req *r)
{
    return r->status;
}

const char *sg_http_response_body(const sg_http_req *r, size_t *len)
{
    *len = r->resp ? r->resp_len : 0;
    return r->resp ? r->resp : "";
}

void sg_http_add_header(sg_http_req *r, const char *name, const char *value)
{
    if (r->n_hdr >= MAX_RESP_HEADERS)
        return;
    r->hdr_name[r->n_hdr] = strdup(name);
    r->hdr_value[r->n_hdr] = strdup(value);
    r->n_hdr++;
}

/* Sent with every answer (the API's and the console's): no inline script or
 * style, nothing from elsewhere, never framed, no MIME sniffing, no Referer
 * leaving the site. A handler that sets one of these itself (the console's
 * pages, with a stricter policy) keeps its own. */
static const char *const security_headers[][2] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
};

static bool has_header(const sg_http_req *r, const char *name)
{
    for (int i = 0; i < r->n_hdr; i++) {
        if (r->hdr_name[i] && strcasecmp(r->hdr_name[i], name) == 0)
            return true;
    }
    return false;
}

static enum MHD_Result queue(sg_http_req *r)
{
    struct MHD_Response *resp =
        r->fill ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_reader, r,
                                                    NULL)
                : MHD_create_response_from_buffer(r->resp_len, r->resp ? r->resp : (char *)"",
                                                  r->resp ? MHD_RESPMEM_MUST_FREE
                                                          : MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    r->resp = NULL; /* MHD owns it now */
    if (r->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    for (int i = 0; i < r->n_hdr; i++) {
        if (r->hdr_name[i] && r->hdr_value[i])
            MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
    }
    for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++) {
        if (!has_header(r, security_headers[i][0]))
            MHD_add_response_header(resp, security_headers[i][0], security_headers[i][1]);
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- deferral ------------------------------------------------------------------- */

void sg_http_defer(sg_http_req *r)
{
    atomic_fetch_add(&r->srv->deferred, 1);
    atomic_store(&r->state, REQ_DEFERRED);
    MHD_suspend_connection(r->conn);
}

void sg_http_resume(sg_http_req *r)
{
    sg_http_server *srv = r->srv;
    atomic_store(&r->state, REQ_READY);
    MHD_resume_connection(r->conn);
    /* Last: once this reaches zero the daemon may be stopped (sg_http_stop). */
    atomic_fetch_sub(&srv->deferred, 1);
}

/* ---- routing --------------------------------------------------------------------- */

/* Match path against pattern; "{x}" matches one non-empty segment. */
static bool route_match(const char *pattern, const char *path, sg_http_req *r)
{
    int np = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *pend = strchr(p, '}');
            const char *send = strchr(s, '/');
            size_t len = send ? (size_t)(send - s) : strlen(s);
            if (!pend || len == 0 || len >= sizeof r->params[0] || np >= SG_HTTP_MAX_PARAMS)
                return false;
            memcpy(r->params[np], s, len);
            r->params[np][len] = '\0';
            np++;
            p = pend + 1;
            s += len;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}

/* The route for this request's method and path (its params filled in), or NULL;
 * *path_known tells a wrong method (405) from an unknown path (404). */
static const sg_route *find_route(sg_http_req *r, bool *path_known)
{
    *path_known = false;
    for (const sg_route *rt = r->srv->cfg.routes; rt->method; rt++) {
        if (!route_match(rt->pattern, r->path, r))
            continue;
        *path_known = true;
        /* HEAD is GET without the body (libmicrohttpd drops it). */
        if (strcmp(rt->method, r->method) == 0 ||
            (strcmp(r->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0))
            return rt;
    }
    return NULL;
}

/* Run the matched route once its body is in: before, the handler, after. */
static void run_route(sg_http_req *r)
{
    const sg_http_config *cfg = &r->srv->cfg;
    const sg_route *rt = r->route;
    if (cfg->before && cfg->before(r, rt, cfg->ctx) == SG_HTTP_DONE)
        return;
    sg_http_result res = rt->handler(r, cfg->ctx);
    if (res == SG_HTTP_PENDING && atomic_load(&r->state) == REQ_RUNNING) {
        char path[MAX_PATH];
        sg_http_log_path(r, path, sizeof path);
        sg_log(SG_LOG_ERROR, "handler_bug", "path=%s detail=\"pending without defer\"", path);
    }
    if (res == SG_HTTP_DONE && cfg->after)
        cfg->after(r, rt, cfg->ctx);
}

/* ---- logging paths ------------------------------------------------------------- */

/* True if the segment s[0..len) is a literal word of some route's pattern. */
static bool literal_segment(const sg_route *routes, const char *s, size_t len)
{
    for (const sg_route *rt = routes; rt->method; rt++) {
        for (const char *p = rt->pattern; (p = strchr(p, '/')) != NULL;) {
            p++;
            size_t n = strcspn(p, "/");
            if (n == len && *p != '{' && memcmp(p, s, len) == 0)
                return true;
        }
    }
    return false;
}

/* A path no route matched: literal words kept, every other segment "*". */
static void log_unmatched(const sg_http_req *r, char *out, size_t cap)
{
    sg_buf b;
    sg_buf_init(&b, cap - 1);
    for (const char *p = r->path; *p == '/';) {
        p++;
        size_t n = strcspn(p, "/");
        sg_buf_append_str(&b, "/");
        if (n && literal_segment(r->srv->cfg.routes, p, n))
            sg_buf_append(&b, p, n);
        else if (n)
            sg_buf_append_str(&b, "*");
        p += n;
    }
    snprintf(out, cap, "%s", b.len ? sg_buf_cstr(&b) : "-");
    sg_buf_free(&b);
}

/* A matched route's path rebuilt from its pattern, params redacted by name. */
static void log_matched(const sg_http_req *r, char *out, size_t cap)
{
    sg_buf b;
    sg_buf_init(&b, cap - 1);
    int np = 0;
    for (const char *p = r->route->pattern; *p;) {
        if (*p != '{') {
            sg_buf_append(&b, p, 1);
            p++;
            continue;
        }
        const char *end = strchr(p, '}');
        if (!end)
            break;
        const char *value = np < SG_HTTP_MAX_PARAMS ? r->params[np] : "";
        np++;
        char masked[40];
        if (strncmp(p, "{secret}", 8) == 0) {
            sg_buf_append_str(&b, SG_REDACTED);
        } else if (strncmp(p, "{phone}", 7) == 0) {
            sg_redact_phone(value, masked, sizeof masked);
            sg_buf_append_str(&b, masked);
        } else {
            sg_buf_append_str(&b, value);
        }
        p = end + 1;
    }
    snprintf(out, cap, "%s", sg_buf_cstr(&b));
    sg_buf_free(&b);
}

void sg_http_log_path(const sg_http_req *r, char *out, size_t cap)
{
    if (cap == 0)
        return;
    if (r->route)
        log_matched(r, out, cap);
    else
        log_unmatched(r, out, cap);
}

/* ---- the request's life ----------------------------------------------------------- */

static sg_http_req *req_new(sg_http_server *srv, struct MHD_Connection *conn)
{
    sg_http_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = srv;
    r->conn = conn;
    r->start_us = now_us();
    r->status = 500;
    sg_buf_init(&r->body, srv->cfg.max_body);
    return r;
}

/* Give back what this request's body held of the unauthenticated budget, and
 * its memory (the answer is set; the rest of the body is dropped). */
static void drop_body(sg_http_req *r)
{
    if (r->unauth_held)
        atomic_fetch_sub(&r->srv->unauth_held, r->unauth_held);
    r->unauth_held = 0;
    sg_buf_free(&r->body);
}

/* Take n more bytes of the unauthenticated budget; false (nothing taken) when
 * that would pass it. */
static bool budget_take(sg_http_req *r, size_t n)
{
    sg_http_server *srv = r->srv;
    size_t budget = srv->cfg.unauth_budget ? srv->cfg.unauth_budget : SG_HTTP_UNAUTH_TOTAL;
    size_t before = atomic_fetch_add(&srv->unauth_held, n);
    if (before + n > budget) {
        atomic_fetch_sub(&srv->unauth_held, n);
        return false;
    }
    r->unauth_held += n;
    return true;
}

static void answer_busy(sg_http_req *r)
{
    sg_http_limit_log(SG_LIMIT_UNAUTH_BODIES, r->client);
    sg_http_add_header(r, "Retry-After", "5");
    sg_http_problem(r, 503, "server_busy", NULL,
                    "too many unauthenticated request bodies in progress; retry later");
}

static enum MHD_Result arg_utf8(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    bool *ok = cls;
    if (!sg_utf8_valid(key, strlen(key)) || (value && !sg_utf8_valid(value, strlen(value)))) {
        *ok = false;
        return MHD_NO;
    }
    return MHD_YES;
}

/* The checks on a request's line and headers that come before routing, in order;
 * each answers and returns true when the request fails it. The answers are
 * problem+json, so the error texts below must not echo the offending bytes. */
static bool check_uri_length(sg_http_req *r, const char *url)
{
    if (r->uri_len <= SG_HTTP_MAX_URI && strlen(url) < MAX_PATH)
        return false;
    sg_http_problem(r, 414, "uri_too_long", NULL, "the request target is longer than %d bytes",
                    r->uri_len > SG_HTTP_MAX_URI ? SG_HTTP_MAX_URI : MAX_PATH - 1);
    return true;
}

static bool check_arg_count(sg_http_req *r, const char *url)
{
    (void)url;
    if (r->uri_args <= SG_FORM_MAX_PAIRS)
        return false;
    sg_http_problem(r, 400, "too_many_parameters", NULL,
                    "the query has more than %d parameters", SG_FORM_MAX_PAIRS);
    return true;
}

static bool check_header_size(sg_http_req *r, const char *url)
{
    (void)url;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (!ci || ci->header_size <= SG_HTTP_MAX_HEADERS)
        return false;
    sg_http_problem(r, 431, "header_too_large", NULL,
                    "the request line and headers are larger than %d bytes",
                    SG_HTTP_MAX_HEADERS);
    return true;
}

static bool answer_bad_utf8(sg_http_req *r)
{
    sg_http_problem(r, 400, "invalid_utf8", NULL,
                    "the path or a query parameter is not valid UTF-8 once percent-decoded");
    return true;
}

static bool check_utf8(sg_http_req *r, const char *url)
{
    return sg_utf8_valid(url, strlen(url)) ? false : answer_bad_utf8(r);
}

/* After routing: the query's values, unless the route reads them in its own
 * charset (raw_args). */
static bool check_args_utf8(sg_http_req *r)
{
    bool ok = true;
    if (!r->route->raw_args)
        MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, arg_utf8, &ok);
    return ok ? false : answer_bad_utf8(r);
}

static bool (*const head_checks[])(sg_http_req *r, const char *url) = {
    check_uri_length,
    check_arg_count,
    check_header_size,
    check_utf8,
};

/* The body limit for this request: the route's own, else the server's for an
 * authenticated request and the small one for the rest. */
static size_t body_limit(const sg_http_req *r)
{
    const sg_http_config *cfg = &r->srv->cfg;
    if (r->route->max_body)
        return r->route->max_body;
    if (r->authenticated)
        return cfg->max_body;
    return cfg->unauth_max_body ? cfg->unauth_max_body : SG_HTTP_UNAUTH_BODY;
}

/* Route and authenticate a request whose headers are in, before any of its body
 * is read. Returns true when it has been answered already (the answer then goes
 * out at once and the body is never read). */
static bool on_headers(sg_http_req *r, const char *url)
{
    sg_http_server *srv = r->srv;
    const sg_http_config *cfg = &srv->cfg;
    char peer[SG_ADDR_TEXT_MAX];
    peer_address(r->conn, peer);
    sg_forwarded_client(peer, sg_http_header(r, "X-Forwarded-For"), cfg->trusted_proxies,
                        cfg->n_trusted_proxies, r->client);
    snprintf(r->path, sizeof r->path, "%s", url);
    for (size_t i = 0; i < sizeof head_checks / sizeof head_checks[0]; i++) {
        if (head_checks[i](r, url))
            return true;
    }
    bool path_known;
    r->route = find_route(r, &path_known);
    if (!r->route) {
        if (path_known)
            sg_http_problem(r, 405, "method_not_allowed", NULL, "%s is not allowed on this path",
                            r->method);
        else
            sg_http_problem(r, 404, "not_found", NULL, "no such endpoint: %s", r->path);
        return true;
    }
    if (check_args_utf8(r))
        return true;
    if (cfg->authenticate && cfg->authenticate(r, r->route, cfg->ctx) == SG_HTTP_DONE)
        return true;
    r->authenticated = sg_http_user(r) != NULL;
    if (r->route->stream)
        return cfg->before && cfg->before(r, r->route, cfg->ctx) == SG_HTTP_DONE;
    size_t limit = body_limit(r);
    sg_buf_init(&r->body, limit);
    const char *cl = sg_http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
    if (declared > limit) {
        sg_http_problem(r, 413, "body_too_large", NULL, "the body is larger than %zu bytes",
                        limit);
        return true;
    }
    size_t budget = cfg->unauth_budget ? cfg->unauth_budget : SG_HTTP_UNAUTH_TOTAL;
    if (!r->authenticated && declared > 0 &&
        atomic_load(&srv->unauth_held) + declared > budget) {
        answer_busy(r);
        return true;
    }
    return false;
}

/* A piece of the body: streamed to the route, or kept within the limits. */
static void on_body_piece(sg_http_req *r, const char *data, size_t len)
{
    const sg_http_config *cfg = &r->srv->cfg;
    if (r->refused)
        return;
    if (r->route->stream) {
        if (!r->route->stream(r, data, len, cfg->ctx))
            r->refused = true;
        return;
    }
    if (!r->authenticated && !budget_take(r, len)) {
        drop_body(r);
        answer_busy(r);
        r->refused = true;
        return;
    }
    if (sg_buf_append(&r->body, data, len) != SG_OK) {
        size_t limit = r->body.max;
        drop_body(r);
        sg_http_problem(r, 413, "body_too_large", NULL, "the body is larger than %zu bytes",
                        limit);
        r->refused = true;
    }
}

/* The body is in: run the route (or send the answer set already). */
static enum MHD_Result on_body_end(sg_http_req *r)
{
    const sg_http_config *cfg = &r->srv->cfg;
    int state = atomic_load(&r->state);
    if (state == REQ_READY)
        return queue(r);
    if (state == REQ_DEFERRED)
        return MHD_YES; /* spurious call while suspended */
    if (r->refused)
        return queue(r);
    if (r->route->stream) {
        r->route->handler(r, cfg->ctx);
        if (cfg->after)
            cfg->after(r, r->route, cfg->ctx);
        return queue(r);
    }
    atomic_store(&r->state, REQ_RUNNING);
    run_route(r);
    if (atomic_load(&r->state) == REQ_RUNNING)
        return queue(r);
    /* Deferred; or already READY if another thread answered quickly: MHD calls us
     * again after the resume and we queue then. */
    return MHD_YES;
}

/* ---- libmicrohttpd callbacks ------------------------------------------------------- */

static void *guard_slot(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Called with the raw request target as soon as the request line is in, before
 * libmicrohttpd parses the query: the request starts here, so that its length
 * and argument count are known before anything else.
 *
 * A target refused for its length or argument count gets its query cut here
 * (a NUL after the '?'). libmicrohttpd keeps every argument in the connection's
 * memory; thousands of them exhaust it, and it then drops the connection with
 * no answer at all. uri points into libmicrohttpd's own writable read buffer
 * (const only in the callback's type), the '?' has been found already and the
 * query is parsed right after this callback returns, as a NUL-terminated string
 * from after the '?' (libmicrohttpd 0.9.75 to 1.0); cutting it leaves the path
 * and the request's framing as they are. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    sg_http_guard_request_begun(guard_slot(conn));
    sg_http_req *r = req_new(cls, conn);
    if (!r)
        return NULL;
    r->uri_len = strlen(uri);
    char *q = strchr(uri, '?');
    if (!q || !q[1])
        return r;
    r->uri_args = 1;
    for (const char *p = q + 1; *p; p++)
        r->uri_args += *p == '&';
    if (r->uri_args > SG_FORM_MAX_PAIRS || r->uri_len > SG_HTTP_MAX_URI)
        q[1] = '\0';
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    sg_http_server *srv = cls;
    sg_http_req *r = *con_cls;
    if (!r) {
        if (!(r = req_new(srv, conn)))
            return MHD_NO;
        *con_cls = r;
    }
    if (!r->method) {
        /* In flight from here: a request still sending its headers does not
         * hold up a graceful stop (the header deadline deals with it). */
        atomic_fetch_add(&srv->in_flight, 1);
        r->method = method;
        sg_http_guard_headers_in(guard_slot(conn));
        return on_headers(r, url) ? queue(r) : MHD_YES;
    }
    if (*upload_data_size) {
        on_body_piece(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return on_body_end(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    sg_http_server *srv = cls;
    sg_http_guard_request_done(srv->guard, guard_slot(conn));
    sg_http_req *r = *con_cls;
    if (!r)
        return;
    /* A request whose headers never came (libmicrohttpd answered it, or the
     * header deadline closed it) was not answered by this server. */
    if (r->method)
        sg_metrics_http_observe(now_us() - r->start_us, r->status);
    if (sg_log_enabled(SG_LOG_DEBUG)) {
        char path[MAX_PATH];
        sg_http_log_path(r, path, sizeof path);
        sg_log(SG_LOG_DEBUG, "http_request", "method=%s path=%s status=%d us=%lld client=%s",
               r->method ? r->method : "-", path, r->method ? r->status : 0,
               (long long)(now_us() - r->start_us), r->client[0] ? r->client : "-");
    }
    drop_body(r);
    if (r->user_free)
        r->user_free(r->user);
    if (r->hstate_free)
        r->hstate_free(r->hstate);
    if (r->fill_free)
        r->fill_free(r->fill_user);
    free(r->resp);
    for (int i = 0; i < r->n_hdr; i++) {
        free(r->hdr_name[i]);
        free(r->hdr_value[i]);
    }
    bool counted = r->method != NULL;
    free(r);
    *con_cls = NULL;
    if (counted)
        atomic_fetch_sub(&srv->in_flight, 1);
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    sg_http_server *srv = cls;
    (void)addrlen;
    return sg_http_guard_accept(srv->guard, addr) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    sg_http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        sg_http_guard_closed(srv->guard, socket_context);
        return;
    }
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn,
                                                                 MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ad =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (fd)
        sg_http_guard_opened(srv->guard, fd->connect_fd, ad ? ad->client_addr : NULL,
                             socket_context);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    for (char *p = msg; *p; p++) {
        if (*p == '"')
            *p = '\'';
    }
    sg_log(SG_LOG_DEBUG, "http_server", "detail=\"%s\"", msg);
}

/* Parse "host:port" / "[v6]:port" into a loopback-or-any socket address. */
static bool parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return false;
    size_t hl = (size_t)(colon - listen);
    if (hl >= sizeof host)
        return false;
    memcpy(host, listen, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || colon[1] == '\0')
        return false;
    memset(ss, 0, sizeof *ss);
    if (host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *v6 = true;
        return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *v6 = false;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    return inet_pton(AF_INET, host, &a->sin_addr) == 1;
}

sg_err sg_http_listen_check(const char *listen, sg_error *e)
{
    struct sockaddr_storage ss;
    bool v6;
    if (parse_listen(listen, &ss, &v6))
        return SG_OK;
    const char *colon = strrchr(listen, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (colon && colon[1] && !*end && (port < 0 || port > 65535))
        return sg_error_set(e, SG_ERR_INVALID, "listen",
                            "--listen '%s': port %s is out of range (0 to 65535)", listen,
                            colon + 1);
    return sg_error_set(e, SG_ERR_INVALID, "listen",
                        "--listen must be HOST:PORT or [IPv6]:PORT with a numeric address, "
                        "not '%s'",
                        listen);
}

sg_err sg_http_start(const sg_http_config *cfg, sg_http_server **out, int *bound_port, sg_error *e)
{
    struct sockaddr_storage ss;
    bool v6;
    if (!parse_listen(cfg->listen, &ss, &v6))
        return sg_http_listen_check(cfg->listen, e);
    sg_http_server *s = calloc(1, sizeof *s);
    if (!s)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    s->cfg = *cfg;
    sg_http_guard_config gc = {
        .max_per_addr = cfg->max_conn_per_ip,
        .header_timeout_s = cfg->header_timeout_s,
        .max_connections = cfg->max_connections ? cfg->max_connections : 1024,
        .trusted = cfg->trusted_proxies,
        .n_trusted = cfg->n_trusted_proxies,
    };
    sg_err err = sg_http_guard_new(&gc, &s->guard, e);
    if (err != SG_OK) {
        free(s);
        return err;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(
        flags, 0, on_accept, s, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads ? cfg->threads : 2),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(cfg->max_connections ? cfg->max_connections : 1024),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->timeout_s ? cfg->timeout_s : 30),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_URI_LOG_CALLBACK,
        on_uri, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
    if (!s->d) {
        sg_http_guard_destroy(s->guard);
        free(s);
        return sg_error_set(e, SG_ERR_IO, "listen",
                            "cannot listen on %s (address in use or not available)", cfg->listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    if (bound_port)
        *bound_port = info ? info->port : 0;
    *out = s;
    return SG_OK;
}

void sg_http_quiesce(sg_http_server *s)
{
    if (s && s->d) {
        MHD_socket fd = MHD_quiesce_daemon(s->d);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
    }
}

long sg_http_in_flight(sg_http_server *s)
{
    return s ? atomic_load(&s->in_flight) : 0;
}

void sg_http_stop(sg_http_server *s, int timeout_ms)
{
    if (!s)
        return;
    int64_t deadline = sg_time_mono_ms() + timeout_ms;
    while (atomic_load(&s->in_flight) > 0 && sg_time_mono_ms() < deadline)
        usleep(10000);
    /* A request still waiting for the store will be resumed from the writer
     * thread; the daemon must outlive that call. The writer answers every job
     * (its lock waits are bounded by the busy timeout), so this ends. */
    long waited = 0;
    while (atomic_load(&s->deferred) > 0) {
        if (waited++ % 500 == 0)
            sg_log(SG_LOG_WARN, "http_stop_waiting", "deferred=%ld",
                   (long)atomic_load(&s->deferred));
        usleep(10000);
    }
    MHD_stop_daemon(s->d);
    sg_http_guard_destroy(s->guard);
    free(s);
}
