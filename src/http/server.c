#include "http/server.h"
#include "http/problem.h"
#include "util/form.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/time.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RESP_HEADERS 4
#define MAX_PATH         1024

struct sg_http_server {
    struct MHD_Daemon *d;
    sg_http_config cfg;
    _Atomic long in_flight;
    _Atomic long deferred; /* suspended, waiting for another thread's sg_http_resume */
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
    const char *method;
    char path[MAX_PATH];
    char params[SG_HTTP_MAX_PARAMS][256];
    sg_buf body;
    bool too_large;
    const sg_route *stream_route; /* the matched route when its body is streamed */
    bool stream_refused;          /* answered early; the rest of the body is dropped */
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

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    sg_form *f = cls;
    if (f->n >= SG_FORM_MAX_PAIRS)
        return MHD_NO;
    sg_form_pair *p = realloc(f->pairs, (f->n + 1) * sizeof *p);
    if (!p)
        return MHD_NO;
    f->pairs = p;
    p[f->n].key = strdup(key);
    p[f->n].value = strdup(value ? value : "");
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
    int got = MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, out);
    if (got < 0 || (size_t)total != out->n) {
        sg_form_free(out);
        return total > SG_FORM_MAX_PAIRS ? SG_ERR_TOO_LARGE : SG_ERR_NOMEM;
    }
    return SG_OK;
}

void sg_http_client_ip(const sg_http_req *r, char out[64])
{
    out[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 64);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, 64);
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

void sg_http_respond_json(sg_http_req *r, int status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
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

/* The streaming route matching this request, if any (its params filled in). */
static const sg_route *stream_route_for(sg_http_req *r)
{
    for (const sg_route *rt = r->srv->cfg.routes; rt->method; rt++) {
        if (rt->stream && strcmp(rt->method, r->method) == 0 && route_match(rt->pattern, r->path, r))
            return rt;
    }
    return NULL;
}

static void route(sg_http_req *r)
{
    const sg_http_config *cfg = &r->srv->cfg;
    bool path_known = false;
    for (const sg_route *rt = cfg->routes; rt->method; rt++) {
        if (!route_match(rt->pattern, r->path, r))
            continue;
        path_known = true;
        /* HEAD is GET without the body (libmicrohttpd drops it). */
        if (strcmp(rt->method, r->method) != 0 &&
            !(strcmp(r->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0))
            continue;
        if (cfg->before && cfg->before(r, rt, cfg->ctx) == SG_HTTP_DONE)
            return;
        sg_http_result res = rt->handler(r, cfg->ctx);
        if (res == SG_HTTP_PENDING && atomic_load(&r->state) == REQ_RUNNING)
            sg_log(SG_LOG_ERROR, "handler_bug", "path=%s detail=\"pending without defer\"",
                   r->path);
        if (res == SG_HTTP_DONE && cfg->after)
            cfg->after(r, rt, cfg->ctx);
        return;
    }
    if (path_known) {
        sg_http_problem(r, 405, "method_not_allowed", NULL, "%s is not allowed on this path",
                        r->method);
    } else {
        sg_http_problem(r, 404, "not_found", NULL, "no such endpoint: %s", r->path);
    }
}

/* ---- libmicrohttpd callbacks ------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    sg_http_server *srv = cls;
    sg_http_req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->srv = srv;
        r->conn = conn;
        r->method = method;
        r->start_us = now_us();
        r->status = 500;
        sg_buf_init(&r->body, srv->cfg.max_body);
        atomic_fetch_add(&srv->in_flight, 1);
        *con_cls = r;
        if (strlen(url) >= sizeof r->path) {
            sg_http_problem(r, 414, "uri_too_long", NULL, "the path is too long");
            return queue(r);
        }
        snprintf(r->path, sizeof r->path, "%s", url);
        r->stream_route = stream_route_for(r);
        if (r->stream_route) {
            const sg_http_config *cfg = &srv->cfg;
            if (cfg->before && cfg->before(r, r->stream_route, cfg->ctx) == SG_HTTP_DONE)
                r->stream_refused = true; /* answered (401, 403): drop the body */
            return MHD_YES;
        }
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->cfg.max_body) {
            sg_http_problem(r, 413, "body_too_large", NULL, "the body is larger than %zu bytes",
                            srv->cfg.max_body);
            return queue(r);
        }
        return MHD_YES;
    }
    if (r->stream_route) {
        const sg_http_config *cfg = &srv->cfg;
        if (*upload_data_size) {
            if (!r->stream_refused &&
                !r->stream_route->stream(r, upload_data, *upload_data_size, cfg->ctx))
                r->stream_refused = true;
            *upload_data_size = 0;
            return MHD_YES;
        }
        if (!r->stream_refused) {
            r->stream_route->handler(r, cfg->ctx);
            if (cfg->after)
                cfg->after(r, r->stream_route, cfg->ctx);
        }
        return queue(r);
    }
    if (*upload_data_size) {
        if (!r->too_large && sg_buf_append(&r->body, upload_data, *upload_data_size) != SG_OK)
            r->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    int state = atomic_load(&r->state);
    if (state == REQ_READY)
        return queue(r);
    if (state == REQ_DEFERRED)
        return MHD_YES; /* spurious call while suspended */
    if (r->too_large) {
        sg_http_problem(r, 413, "body_too_large", NULL, "the body is larger than %zu bytes",
                        srv->cfg.max_body);
        return queue(r);
    }
    atomic_store(&r->state, REQ_RUNNING);
    route(r);
    if (atomic_load(&r->state) == REQ_RUNNING)
        return queue(r);
    /* Deferred; or already READY if another thread answered quickly: MHD calls us
     * again after the resume and we queue then. */
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    sg_http_server *srv = cls;
    sg_http_req *r = *con_cls;
    if (!r)
        return;
    sg_metrics_http_observe(now_us() - r->start_us, r->status);
    if (sg_log_enabled(SG_LOG_DEBUG))
        sg_log(SG_LOG_DEBUG, "http_request", "method=%s path=%s status=%d us=%lld", r->method,
               r->path, r->status, (long long)(now_us() - r->start_us));
    if (r->user_free)
        r->user_free(r->user);
    if (r->hstate_free)
        r->hstate_free(r->hstate);
    if (r->fill_free)
        r->fill_free(r->fill_user);
    sg_buf_free(&r->body);
    free(r->resp);
    for (int i = 0; i < r->n_hdr; i++) {
        free(r->hdr_name[i]);
        free(r->hdr_value[i]);
    }
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
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

sg_err sg_http_start(const sg_http_config *cfg, sg_http_server **out, int *bound_port, sg_error *e)
{
    struct sockaddr_storage ss;
    bool v6;
    if (!parse_listen(cfg->listen, &ss, &v6))
        return sg_error_set(e, SG_ERR_INVALID, "listen",
                            "--listen must be HOST:PORT or [IPv6]:PORT with a numeric address, "
                            "not '%s'",
                            cfg->listen);
    sg_http_server *s = calloc(1, sizeof *s);
    if (!s)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    s->cfg = *cfg;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads ? cfg->threads : 2),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(cfg->max_connections ? cfg->max_connections : 1024),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->timeout_s ? cfg->timeout_s : 30),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, NULL, MHD_OPTION_END);
    if (!s->d) {
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
    free(s);
}
