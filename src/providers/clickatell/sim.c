/* The Clickatell simulator: libmicrohttpd with a 4-thread epoll pool, the shared
 * --latency-ms delay queue and record ring (sim/common.h), the shared callback
 * sender (sim/sender.h) with Clickatell's request formats (sim/clickatell_wire.h),
 * and atomic counters. The portal settings (callback and reply URLs, the callback
 * method) can change at run time, under a mutex. */
#include "providers/clickatell/sim.h"
#include "providers/clickatell/clickatell.h"

#include "core/gsm7.h"
#include "sim/common.h"
#include "sim/sender.h"
#include "util/buf.h"
#include "util/crypto.h"
#include "util/form.h"
#include "util/log.h"
#include "util/options.h"
#include "util/time.h"

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_MAX       (64 * 1024) /* request bodies; larger ones get 413 */
#define LATENCY_MAX_MS 600000
#define DELAY_MAX_MS   600000 /* --sent-delay-ms, --delivered-delay-ms */
#define RECIPIENTS_MAX 100    /* per send request, both APIs */
#define SECRET_MAX     128
#define CLIMSGID_MAX   32
#define CMID_MAX       64 /* platform clientMessageId */

/* ---- accepted messages -------------------------------------------------------------- */

/* One accepted message (one recipient). Immutable once published, reference
 * counted like sg_sim_message; strings in the same allocation. */
typedef struct ck_message {
    atomic_int refs;
    char id[SG_CK_ID_LEN + 1]; /* apiMsgId / apiMessageId */
    char request_id[37];       /* platform: the send request's id (uuid layout) */
    bool platform;
    bool unicode;       /* legacy unicode=1 */
    int callback_level; /* legacy `callback` 0..7; -1 for platform */
    unsigned parts;
    sg_ck_method method;      /* legacy callbacks: the portal's method at accept time */
    const char *to;           /* digits */
    const char *from;         /* NULL when not given */
    const char *text;         /* UTF-8 */
    const char *client_id;    /* climsgid / clientMessageId, NULL when not given */
    const char *callback_url; /* the portal's at accept time, NULL when none */
    int64_t created_ms;
} ck_message;

static void message_ref(void *item)
{
    atomic_fetch_add_explicit(&((ck_message *)item)->refs, 1, memory_order_relaxed);
}

static void message_unref(void *item)
{
    ck_message *m = item;
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        free(m);
}

static ck_message *message_new(const char *to, const char *from, const char *text,
                               const char *client_id, const char *callback_url)
{
    const char *src[5] = {to, from, text, client_id, callback_url};
    size_t len[5], total = sizeof(ck_message);
    for (int i = 0; i < 5; i++) {
        len[i] = src[i] ? strlen(src[i]) + 1 : 0;
        total += len[i];
    }
    ck_message *m = calloc(1, total);
    if (!m)
        return NULL;
    atomic_init(&m->refs, 1);
    char *p = (char *)(m + 1);
    const char **dst[5] = {&m->to, &m->from, &m->text, &m->client_id, &m->callback_url};
    for (int i = 0; i < 5; i++) {
        if (!src[i])
            continue;
        memcpy(p, src[i], len[i]);
        *dst[i] = p;
        p += len[i];
    }
    sg_ck_new_id(m->id);
    m->created_ms = sg_time_now_ms();
    return m;
}

/* ---- the portal's settings ---------------------------------------------------------- */

enum { CFG_CALLBACK = 0, CFG_REPLY, CFG_PLATFORM_CALLBACK, CFG_PLATFORM_REPLY, CFG_N };
static const char *const cfg_keys[CFG_N] = {"callback_url", "reply_url", "platform_callback_url",
                                            "platform_reply_url"};

typedef struct config {
    pthread_mutex_t lock;
    char *urls[CFG_N]; /* NULL: not set */
    sg_ck_method method;
} config;

/* The URL of kind (CFG_CALLBACK or CFG_REPLY) for an API, copied (NULL when none),
 * and the legacy method. */
static char *config_url(config *c, int kind, bool platform, sg_ck_method *method)
{
    pthread_mutex_lock(&c->lock);
    const char *u = platform && c->urls[kind + 2] ? c->urls[kind + 2] : c->urls[kind];
    char *copy = u ? strdup(u) : NULL;
    if (method)
        *method = c->method;
    pthread_mutex_unlock(&c->lock);
    return copy;
}

static json_t *config_json(config *c, bool callbacks)
{
    json_t *o = json_object();
    pthread_mutex_lock(&c->lock);
    for (int i = 0; o && i < CFG_N; i++)
        json_object_set_new(o, cfg_keys[i], c->urls[i] ? json_string(c->urls[i]) : json_null());
    if (o) {
        json_object_set_new(o, "callback_method", json_string(sg_ck_method_name(c->method)));
        json_object_set_new(o, "callbacks", json_boolean(callbacks));
    }
    pthread_mutex_unlock(&c->lock);
    return o;
}

/* ---- the simulator ------------------------------------------------------------------ */

struct sg_ck_sim {
    char *username, *password, *api_key;
    char api_id[64];
    char integration_name[128];
    unsigned latency_ms;
    double rate_5xx;
    uint64_t seed;
    atomic_uint_fast64_t draws;

    atomic_uint_fast64_t accepted, rejected, injected_5xx, unauthorized;

    bool no_callbacks;
    unsigned sent_delay_ms, delivered_delay_ms;
    bool duplicate, reorder;
    char **undelivered; /* digits */
    size_t n_undelivered;
    sg_sim_sender *sender;
    sg_sim_plan_hooks hooks;

    config cfg;
    sg_sim_ring records;
    sg_sim_delays delays;
    struct MHD_Daemon *daemon;
    uint16_t port;
};

static double next_uniform(sg_ck_sim *s)
{
    return sg_sim_uniform(s->seed, atomic_fetch_add(&s->draws, 1) + 1);
}

typedef enum route {
    ROUTE_NOT_FOUND = 0,
    ROUTE_LEGACY_SEND,   /* /http/sendmsg */
    ROUTE_PLATFORM_SEND, /* /messages */
    ROUTE_PLATFORM_HTTP, /* /messages/http/send */
    ROUTE_SIM_MESSAGES,  /* /sim/messages */
    ROUTE_SIM_STATS,     /* /sim/stats */
    ROUTE_SIM_CALLBACKS, /* /sim/callbacks */
    ROUTE_SIM_CONFIG,    /* /sim/config */
    ROUTE_SIM_INBOUND,   /* /sim/inbound */
} route;

static bool api_route(route r)
{
    return r == ROUTE_LEGACY_SEND || r == ROUTE_PLATFORM_SEND || r == ROUTE_PLATFORM_HTTP;
}

/* Per-request state, from the first call of the access handler to completion. */
typedef struct request {
    route route;
    sg_buf body;
    bool too_large;
    bool answered; /* a response is queued: ignore the rest of the upload */
    bool delayed;  /* suspended: the answer waits in pending */
    struct MHD_Response *pending;
    unsigned pending_status;
    /* POST /sim/inbound, while the reply is in flight */
    struct MHD_Connection *conn;
    char inbound_id[SG_CK_ID_LEN + 1];
    bool inbound_platform;
    const char *inbound_method; /* static */
    char *inbound_url;
} request;

typedef struct answer {
    unsigned status;
    char *body;
    size_t len;
    const char *content_type;
    const char *header, *header_value; /* one extra header (Allow) or NULL */
} answer;

static void answer_json(answer *a, unsigned status, json_t *doc)
{
    a->status = status;
    a->content_type = "application/json";
    a->body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!a->body) {
        a->status = 500;
        a->body = strdup("{\"error\":\"out of memory\"}");
    }
    a->len = a->body ? strlen(a->body) : 0;
}

static void answer_text(answer *a, unsigned status, const char *text)
{
    a->status = status;
    a->content_type = "text/plain";
    a->body = strdup(text);
    a->len = a->body ? strlen(a->body) : 0;
}

/* A /sim/ error: {"error": "..."}. */
static void sim_error(answer *a, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sim_error(answer *a, unsigned status, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    answer_json(a, status, json_pack("{s:s}", "error", message));
}

/* "ERR: 105, Invalid destination address", always HTTP 200 (B.1). */
static void legacy_error(answer *a, int code)
{
    char line[160];
    snprintf(line, sizeof line, "ERR: %03d, %s", code, sg_ck_error_text(code));
    answer_text(a, 200, line);
}

/* The platform's top-level error (B.2): {"messages":[],"errorCode","error",
 * "errorDescription"}. */
static void platform_error(answer *a, unsigned status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void platform_error(answer *a, unsigned status, int code, const char *fmt, ...)
{
    char description[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(description, sizeof description, fmt, ap);
    va_end(ap);
    answer_json(a, status,
                json_pack("{s:[], s:i, s:s, s:s}", "messages", "errorCode", code, "error",
                          sg_ck_platform_error_text(code), "errorDescription", description));
}

static bool secret_equal(const char *given, const char *expected)
{
    size_t len = strlen(expected);
    return given && strlen(given) == len && sg_ct_equal(given, expected, len);
}

static bool number_listed(char *const *list, size_t n, const char *number)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], number) == 0)
            return true;
    }
    return false;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* A destination's magic error code (0 when none): ...0000 cannot be routed; ...9999
 * followed by three digits NNN answers error NNN when the API has that code. */
static int magic_code(const char *to, bool platform)
{
    size_t n = strlen(to);
    if (n >= 7 && memcmp(to + n - 7, "9999", 4) == 0) {
        int code = atoi(to + n - 3);
        if (platform ? code != 1 && code != 19 && code != 21 && code != 22 && code != 24 &&
                           code != 42 && sg_ck_platform_error_text(code)
                     : sg_ck_error_text(code) != NULL)
            return code;
    }
    if (ends_with(to, "0000"))
        return platform ? 27 : 114;
    return 0;
}

/* Inject a failure (--rate-5xx): true when a holds the answer. */
static bool inject_failure(sg_ck_sim *s, bool platform, answer *a)
{
    if (s->rate_5xx <= 0 || next_uniform(s) >= s->rate_5xx)
        return false;
    atomic_fetch_add(&s->injected_5xx, 1);
    /* Half an error from the API, half an HTML page from a load balancer. */
    if (next_uniform(s) < 0.5) {
        if (platform) {
            platform_error(a, 500, 19, "Internal error, please retry");
        } else {
            answer_text(a, 500, "ERR: 901, Internal error");
        }
    } else {
        static const char html[] =
            "<html>\n<head><title>503 Service Unavailable</title></head>\n<body>\n"
            "<center><h1>503 Service Unavailable</h1></center>\n</body>\n</html>\n";
        answer_text(a, 503, html);
        a->content_type = "text/html";
    }
    return true;
}

/* ---- delivery callbacks ------------------------------------------------------------- */

static bool build_callback(void *ctx, void *item, const sg_sim_step *st, sg_sim_post *post)
{
    const sg_ck_sim *s = ctx;
    const ck_message *m = item;
    sg_ck_request req;
    bool ok;
    if (m->platform) {
        sg_ck_platform_status p = {
            .integration_name = s->integration_name,
            .message_id = m->id,
            .request_id = m->request_id,
            .client_message_id = m->client_id,
            .to = m->to,
            .from = m->from,
            .status_code = st->code,
            .timestamp_ms = sg_time_now_ms(),
        };
        ok = sg_ck_platform_status_request(&p, m->callback_url, &req);
    } else {
        sg_ck_legacy_status p = {
            .api_id = s->api_id,
            .api_msg_id = m->id,
            .cli_msg_id = m->client_id ? m->client_id : "",
            .to = m->to,
            .from = m->from ? m->from : "",
            .timestamp_s = sg_time_now_ms() / 1000,
            .status = st->code,
            .charge = (double)m->parts,
        };
        ok = sg_ck_legacy_status_request(&p, m->method, m->callback_url, &req);
    }
    if (!ok)
        return false;
    char *body = req.body;
    req.body = NULL;
    ok = sg_sim_request_init(post, &req.http, req.url, body);
    sg_ck_request_free(&req);
    return ok;
}

/* Plan m's callbacks: 003, then 004 or (for --undelivered numbers) 007; for a
 * legacy message only the steps its `callback` level asks for (B.1: 1 intermediate,
 * 2 final, 4 error). */
static void plan_callbacks(sg_ck_sim *s, ck_message *m)
{
    if (s->no_callbacks || !m->callback_url)
        return;
    bool failed = number_listed(s->undelivered, s->n_undelivered, m->to);
    int level = m->platform ? 7 : m->callback_level;
    bool first = level & 1;
    bool final = failed ? (level & 6) != 0 : (level & 2) != 0;
    int final_code = failed ? 7 : 4;
    unsigned t1 = s->sent_delay_ms, t2 = s->sent_delay_ms + s->delivered_delay_ms;
    sg_sim_step plan[2];
    unsigned n = 0;
    const char *names[8] = {0};
    names[3] = m->platform ? "DELIVERED_TO_GATEWAY" : "003";
    names[4] = m->platform ? "RECEIVED_BY_RECIPIENT" : "004";
    names[7] = m->platform ? "ERROR_DELIVERING_MESSAGE" : "007";
    if (first)
        plan[n++] = (sg_sim_step){names[3], 3, t1};
    if (final)
        plan[n++] = (sg_sim_step){names[final_code], final_code, first ? t2 : t1};
    if (n == 0)
        return;
    if (n == 2 && s->reorder) { /* the final status arrives first */
        sg_sim_step t = plan[0];
        plan[0] = plan[1];
        plan[1] = t;
        plan[0].offset_ms = t1;
        plan[1].offset_ms = t2;
    }
    sg_sim_plan p = {
        .id = m->id,
        .api = m->platform ? "platform" : "legacy",
        .method = m->platform ? "JSON" : sg_ck_method_name(m->method),
        .url = m->callback_url,
        .item = m,
    };
    for (unsigned i = 0; i < n; i++) {
        p.steps[p.n_steps++] = plan[i];
        if (s->duplicate)
            p.steps[p.n_steps++] = plan[i];
    }
    /* The first callback is planned from when the (possibly delayed) answer leaves. */
    sg_sim_sender_plan(s->sender, &p, &s->hooks, s->latency_ms);
}

/* Publish an accepted message: callbacks, then the ring takes our reference. */
static void accept_message(sg_ck_sim *s, ck_message *m)
{
    atomic_fetch_add(&s->accepted, 1);
    sg_log(SG_LOG_INFO, "sim_accept", "id=%s api=%s to=%s", m->id,
           m->platform ? "platform" : "legacy", m->to);
    plan_callbacks(s, m);
    sg_sim_ring_add(&s->records, m);
}

/* ---- legacy: /http/sendmsg ---------------------------------------------------------- */

typedef struct params {
    struct MHD_Connection *conn;
    sg_form form;
    bool has_form;
} params;

/* A parameter from the POST body, else from the query string. */
static const char *param(const params *p, const char *key)
{
    const char *v = p->has_form ? sg_form_get(&p->form, key) : NULL;
    return v ? v : MHD_lookup_connection_value(p->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* An optional whole number lo..hi; def when absent. */
static bool int_param(const params *p, const char *key, int lo, int hi, int def, int *out)
{
    const char *v = param(p, key);
    *out = def;
    if (!v)
        return true;
    uint64_t n;
    if (!sg_sim_parse_u64(v, (uint64_t)hi, &n) || (int)n < lo)
        return false;
    *out = (int)n;
    return true;
}

/* A sender: up to 16 digits (a number), or 1..11 letters, digits and spaces. */
static bool from_ok(const char *s)
{
    size_t len = strlen(s);
    bool digits = len > 0;
    for (size_t i = 0; i < len; i++)
        digits = digits && s[i] >= '0' && s[i] <= '9';
    if (digits)
        return len <= 16;
    if (len == 0 || len > 11)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == ' '))
            return false;
    }
    return true;
}

static bool client_id_ok(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* Split a comma-separated list in place; empty items skipped. Returns the count,
 * or max + 1 when there are more. */
static size_t split_list(char *list, char **out, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (!len)
            continue;
        if (n == max)
            return max + 1;
        out[n++] = tok;
    }
    return n;
}

/* Validate the request (in the order documented in docs/internals/simulator.md)
 * and answer; accepted recipients become messages. */
static void legacy_send(sg_ck_sim *s, const params *p, answer *a)
{
    const char *user = param(p, "user");
    const char *password = param(p, "password");
    const char *api_id = param(p, "api_id");
    if (!secret_equal(user, s->username) || !secret_equal(password, s->password)) {
        atomic_fetch_add(&s->unauthorized, 1);
        legacy_error(a, 1);
        return;
    }
    if (!api_id || strcmp(api_id, s->api_id) != 0) {
        atomic_fetch_add(&s->unauthorized, 1);
        legacy_error(a, 108);
        return;
    }
    if (inject_failure(s, false, a))
        return;

    const char *to = param(p, "to");
    const char *raw = param(p, "text");
    const char *from = param(p, "from");
    const char *client_id = param(p, "climsgid");
    const char *charset = param(p, "charset");
    int unicode = 0, concat = 1, callback = 0, mo = 0;
    int code = 0;
    if (from && !*from)
        from = NULL;
    if (client_id && !*client_id)
        client_id = NULL;
    char *copy = to ? strdup(to) : NULL;
    char *recipients[RECIPIENTS_MAX];
    size_t n_to = copy ? split_list(copy, recipients, RECIPIENTS_MAX) : 0;
    char *text = NULL;
    unsigned parts = 0;
    if (to && !copy)
        code = 901;
    else if (n_to == 0)
        code = 105;
    else if (!raw || !*raw)
        code = 107;
    else if (n_to > RECIPIENTS_MAX || !int_param(p, "unicode", 0, 1, 0, &unicode) ||
             !int_param(p, "concat", 1, SG_CK_LEGACY_TEXT_MAX_PARTS, 1, &concat) ||
             !int_param(p, "callback", 0, 7, 0, &callback) || !int_param(p, "mo", 0, 1, 0, &mo) ||
             (client_id && !client_id_ok(client_id, CLIMSGID_MAX)) ||
             (charset && strcasecmp(charset, "ISO-8859-1") != 0 &&
              strcasecmp(charset, "UTF-8") != 0))
        code = 101;
    if (!code) {
        bool bad = false;
        bool utf8 = charset && strcasecmp(charset, "UTF-8") == 0;
        text = unicode ? sg_ck_ucs2_hex_decode(raw, &bad) : sg_ck_text_decode(raw, utf8, &bad);
        if (!text)
            code = bad ? (unicode ? 116 : 101) : 901;
    }
    if (!code && (parts = sg_ck_parts(text, unicode)) > (unsigned)concat)
        code = 113;
    if (!code && from && !from_ok(from))
        code = 106;
    if (code) {
        atomic_fetch_add(&s->rejected, 1);
        legacy_error(a, code);
        free(copy);
        free(text);
        return;
    }

    sg_ck_method method;
    char *callback_url = config_url(&s->cfg, CFG_CALLBACK, false, &method);
    sg_buf out;
    sg_buf_init(&out, 64 * 1024);
    for (size_t i = 0; i < n_to; i++) {
        const char *r = recipients[i];
        int err = !sg_ck_msisdn_ok(r) ? 105 : magic_code(r, false);
        char line[256];
        if (err) {
            atomic_fetch_add(&s->rejected, 1);
            snprintf(line, sizeof line, "ERR: %03d, %s", err, sg_ck_error_text(err));
        } else {
            ck_message *m = message_new(r, from, text, client_id, callback_url);
            if (!m) {
                snprintf(line, sizeof line, "ERR: 901, %s", sg_ck_error_text(901));
            } else {
                m->unicode = unicode;
                m->callback_level = callback;
                m->parts = parts;
                m->method = method;
                snprintf(line, sizeof line, "ID: %s", m->id);
                accept_message(s, m);
            }
        }
        if (i)
            sg_buf_append(&out, "\n", 1);
        sg_buf_append(&out, line, strlen(line));
        if (n_to > 1) {
            char shown[64];
            snprintf(line, sizeof line, " To: %s", sg_sim_echo(r, shown, sizeof shown));
            sg_buf_append(&out, line, strlen(line));
        }
    }
    answer_text(a, 200, sg_buf_cstr(&out));
    sg_buf_free(&out);
    free(callback_url);
    free(copy);
    free(text);
}

static void handle_legacy(sg_ck_sim *s, struct MHD_Connection *conn, request *r, const char *method,
                          answer *a)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
        atomic_fetch_add(&s->rejected, 1);
        a->header = MHD_HTTP_HEADER_ALLOW;
        a->header_value = "GET, POST";
        answer_text(a, 405, "Method Not Allowed");
        return;
    }
    if (r->too_large) {
        atomic_fetch_add(&s->rejected, 1);
        answer_text(a, 413, "Request Entity Too Large");
        return;
    }
    params p = {.conn = conn};
    if (r->body.len) {
        if (sg_form_parse(sg_buf_cstr(&r->body), r->body.len, &p.form) != SG_OK) {
            atomic_fetch_add(&s->rejected, 1);
            legacy_error(a, 101);
            return;
        }
        p.has_form = true;
    }
    legacy_send(s, &p, a);
    if (p.has_form)
        sg_form_free(&p.form);
}

/* ---- platform: /messages, /messages/http/send --------------------------------------- */

typedef struct platform_send {
    const char *content;
    const char *from;
    const char *client_id;
    const char *to[RECIPIENTS_MAX];
    size_t n_to;
} platform_send;

static json_t *message_result(const char *id, const char *to, int code, const char *detail)
{
    const char *error = code ? sg_ck_platform_error_text(code) : NULL;
    return json_pack("{s:o, s:b, s:s, s:o, s:o, s:o}", "apiMessageId",
                     id ? json_string(id) : json_null(), "accepted", id != NULL, "to", to,
                     "errorCode", code ? json_integer(code) : json_null(), "error",
                     error ? json_string(error) : json_null(), "errorDescription",
                     code ? json_string(detail) : json_null());
}

static void platform_accept(sg_ck_sim *s, const platform_send *ps, answer *a)
{
    sg_sms_info info;
    sg_text_status ts = sg_sms_analyze(ps->content, strlen(ps->content), &info);
    if (ts == SG_TEXT_TOO_LONG) {
        atomic_fetch_add(&s->rejected, 1);
        platform_error(a, 400, 24, "content is longer than %d characters", SG_SMS_MAX_CHARS);
        return;
    }
    if (ts != SG_TEXT_OK) {
        atomic_fetch_add(&s->rejected, 1);
        platform_error(a, 400, 23, "Invalid or missing parameter: content (not UTF-8)");
        return;
    }
    char *callback_url = config_url(&s->cfg, CFG_CALLBACK, true, NULL);
    char request_id[37], hex[33];
    sg_ck_new_id(hex);
    snprintf(request_id, sizeof request_id, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
             hex + 16, hex + 20);
    json_t *list = json_array();
    for (size_t i = 0; i < ps->n_to; i++) {
        const char *to = ps->to[i];
        char detail[160];
        int code = 0;
        if (!sg_ck_msisdn_ok(to)) {
            code = 23;
            snprintf(detail, sizeof detail,
                     "Invalid or missing parameter: to (digits in international format, "
                     "without + or a leading 0)");
        } else if ((code = magic_code(to, true))) {
            snprintf(detail, sizeof detail, "%s", sg_ck_platform_error_text(code));
        }
        if (code) {
            atomic_fetch_add(&s->rejected, 1);
            char shown[64];
            json_array_append_new(
                list, message_result(NULL, sg_sim_echo(to, shown, sizeof shown), code, detail));
            continue;
        }
        ck_message *m = message_new(to, ps->from, ps->content, ps->client_id, callback_url);
        if (!m) {
            json_array_append_new(list, message_result(NULL, to, 19, "out of memory"));
            continue;
        }
        m->platform = true;
        m->callback_level = -1;
        m->parts = info.segments;
        m->unicode = info.encoding == SG_ENC_UCS2;
        memcpy(m->request_id, request_id, sizeof m->request_id);
        json_array_append_new(list, message_result(m->id, to, 0, NULL));
        accept_message(s, m);
    }
    free(callback_url);
    answer_json(a, 202,
                json_pack("{s:o, s:n, s:n, s:n}", "messages", list, "errorCode", "error",
                          "errorDescription"));
}

static bool platform_authorized(sg_ck_sim *s, const char *key, answer *a)
{
    if (secret_equal(key, s->api_key))
        return true;
    atomic_fetch_add(&s->unauthorized, 1);
    platform_error(a, 401, 1, "Invalid or missing integration API Key");
    return false;
}

/* A string member: absent is fine; otherwise a string without NUL of 1..max bytes
 * (0..max when empty_ok). */
static bool member_text(json_t *doc, const char *key, size_t max, bool empty_ok, const char **out)
{
    json_t *v = json_object_get(doc, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)) ||
        json_string_length(v) > max || (!empty_ok && json_string_length(v) == 0))
        return false;
    *out = json_string_value(v);
    return true;
}

/* POST /messages */
static void handle_platform_rest(sg_ck_sim *s, struct MHD_Connection *conn, request *r,
                                 const char *method, answer *a)
{
    if (strcmp(method, "POST") != 0) {
        atomic_fetch_add(&s->rejected, 1);
        a->header = MHD_HTTP_HEADER_ALLOW;
        a->header_value = "POST";
        platform_error(a, 405, 42, "Use POST to send messages");
        return;
    }
    const char *key =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!platform_authorized(s, key, a))
        return;
    if (r->too_large) {
        atomic_fetch_add(&s->rejected, 1);
        platform_error(a, 413, 24, "The request body is larger than %d bytes", BODY_MAX);
        return;
    }
    if (inject_failure(s, true, a))
        return;
    json_error_t jerr;
    json_t *doc = json_loadb(sg_buf_cstr(&r->body), r->body.len, 0, &jerr);
    platform_send ps = {0};
    json_t *to = doc ? json_object_get(doc, "to") : NULL;
    const char *detail = NULL;
    int code = 0;
    if (!doc || !json_is_object(doc)) {
        code = 21;
        detail = "The body must be a JSON object";
    } else if (!member_text(doc, "content", BODY_MAX, false, &ps.content) || !ps.content) {
        code = 23;
        detail = "Invalid or missing parameter: content";
    } else if (!json_is_array(to) || json_array_size(to) == 0) {
        code = 23;
        detail = "Invalid or missing parameter: to (an array of numbers)";
    } else if (json_array_size(to) > RECIPIENTS_MAX) {
        code = 22;
        detail = "At most 100 recipients per request";
    } else if (!member_text(doc, "from", 16, false, &ps.from) || (ps.from && !from_ok(ps.from))) {
        code = 23;
        detail = "Invalid or missing parameter: from";
    } else if (!member_text(doc, "clientMessageId", CMID_MAX, false, &ps.client_id)) {
        code = 23;
        detail = "Invalid or missing parameter: clientMessageId";
    } else {
        size_t i;
        json_t *v;
        json_array_foreach(to, i, v)
        {
            if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)) ||
                json_string_length(v) > 64) {
                code = 23;
                detail = "Invalid or missing parameter: to (an array of strings)";
                break;
            }
            ps.to[ps.n_to++] = json_string_value(v);
        }
    }
    if (code) {
        atomic_fetch_add(&s->rejected, 1);
        platform_error(a, 400, code, "%s", detail);
    } else {
        platform_accept(s, &ps, a);
    }
    json_decref(doc);
}

/* GET /messages/http/send?apiKey=&to=&content=[&from=&clientMessageId=] */
static void handle_platform_http(sg_ck_sim *s, struct MHD_Connection *conn, const char *method,
                                 answer *a)
{
    if (strcmp(method, "GET") != 0) {
        atomic_fetch_add(&s->rejected, 1);
        a->header = MHD_HTTP_HEADER_ALLOW;
        a->header_value = "GET";
        platform_error(a, 405, 42, "Use GET with the parameters in the query string");
        return;
    }
    params p = {.conn = conn};
    if (!platform_authorized(s, param(&p, "apiKey"), a))
        return;
    if (inject_failure(s, true, a))
        return;
    platform_send ps = {
        .content = param(&p, "content"),
        .from = param(&p, "from"),
        .client_id = param(&p, "clientMessageId"),
    };
    const char *to = param(&p, "to");
    char *copy = to ? strdup(to) : NULL;
    char *list[RECIPIENTS_MAX];
    size_t n = copy ? split_list(copy, list, RECIPIENTS_MAX) : 0;
    if (ps.from && !*ps.from)
        ps.from = NULL;
    if (ps.client_id && !*ps.client_id)
        ps.client_id = NULL;
    const char *detail = NULL;
    int code = 0;
    if (!ps.content || !*ps.content) {
        code = 23;
        detail = "Invalid or missing parameter: content";
    } else if (n == 0) {
        code = 23;
        detail = "Invalid or missing parameter: to";
    } else if (n > RECIPIENTS_MAX) {
        code = 22;
        detail = "At most 100 recipients per request";
    } else if (ps.from && !from_ok(ps.from)) {
        code = 23;
        detail = "Invalid or missing parameter: from";
    } else if (ps.client_id && strlen(ps.client_id) > CMID_MAX) {
        code = 23;
        detail = "Invalid or missing parameter: clientMessageId";
    }
    if (code) {
        atomic_fetch_add(&s->rejected, 1);
        platform_error(a, 400, code, "%s", detail);
    } else {
        for (size_t i = 0; i < n; i++)
            ps.to[ps.n_to++] = list[i];
        platform_accept(s, &ps, a);
    }
    free(copy);
}

/* ---- /sim/ -------------------------------------------------------------------------- */

static json_t *message_record(const ck_message *m)
{
    char created[SG_TIME_STR_MAX];
    sg_time_format(m->created_ms, created, sizeof created);
    return json_pack(
        "{s:s, s:s, s:s, s:s?, s:s, s:s?, s:b, s:i, s:o, s:s?, s:s?, s:s}", "api_message_id", m->id,
        "api", m->platform ? "platform" : "legacy", "to", m->to, "from", m->from, "text", m->text,
        "client_message_id", m->client_id, "unicode", m->unicode, "parts", (int)m->parts,
        "callback", m->platform ? json_null() : json_integer(m->callback_level), "callback_url",
        m->callback_url, "request_id", m->platform ? m->request_id : NULL, "created_at", created);
}

typedef struct message_filter {
    const char *to;
    int api; /* -1 any, 0 legacy, 1 platform */
} message_filter;

static bool message_matches(const void *item, const void *ctx)
{
    const ck_message *m = item;
    const message_filter *f = ctx;
    return (!f->to || strcmp(m->to, f->to) == 0) && (f->api < 0 || f->api == (int)m->platform);
}

static void list_messages(sg_ck_sim *s, struct MHD_Connection *conn, answer *a)
{
    message_filter f = {MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "to"), -1};
    const char *api = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "api");
    if (f.to && (f.to[0] == '+' || f.to[0] == ' '))
        f.to++; /* "+27..." (or its '+' decoded as a space) finds "27..." */
    if (api && strcmp(api, "legacy") != 0 && strcmp(api, "platform") != 0) {
        sim_error(a, 400, "api must be legacy or platform");
        return;
    }
    if (api)
        f.api = strcmp(api, "platform") == 0;
    void **items;
    size_t n;
    uint64_t total;
    if (!sg_sim_ring_snapshot(&s->records, message_matches, &f, &items, &n, &total)) {
        answer_json(a, 500, NULL);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, message_record(items[i]));
        message_unref(items[i]);
    }
    free(items);
    answer_json(a, 200, json_pack("{s:o, s:I}", "messages", list, "total", (json_int_t)total));
}

/* POST /sim/config: {"callback_url", "reply_url", "platform_callback_url",
 * "platform_reply_url" (a URL, or null / "" to unset), "callback_method"}; all or
 * nothing. */
static void set_config(sg_ck_sim *s, request *r, answer *a)
{
    json_error_t jerr;
    json_t *doc = json_loadb(sg_buf_cstr(&r->body), r->body.len, 0, &jerr);
    if (r->too_large || !doc || !json_is_object(doc)) {
        json_decref(doc);
        sim_error(a, 400,
                  "the body must be a JSON object, e.g. {\"callback_url\": \"http://...\"}");
        return;
    }
    char *urls[CFG_N] = {0};
    bool set[CFG_N] = {false};
    bool method_set = false;
    sg_ck_method method = SG_CK_GET;
    const char *key;
    json_t *v;
    bool ok = true;
    json_object_foreach(doc, key, v)
    {
        int k = -1;
        for (int i = 0; i < CFG_N; i++) {
            if (strcmp(key, cfg_keys[i]) == 0)
                k = i;
        }
        if (k >= 0) {
            if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
                set[k] = true;
            } else if (json_is_string(v) && json_string_length(v) == strlen(json_string_value(v)) &&
                       sg_sim_url_ok(json_string_value(v))) {
                set[k] = true;
                urls[k] = strdup(json_string_value(v));
                ok = urls[k] != NULL;
            } else {
                sim_error(a, 400,
                          "%s must be an http:// or https:// URL (at most %d bytes) or null",
                          cfg_keys[k], SG_SIM_URL_MAX);
                ok = false;
            }
        } else if (strcmp(key, "callback_method") == 0) {
            if (!json_is_string(v) || !sg_ck_method_parse(json_string_value(v), &method)) {
                sim_error(a, 400, "callback_method must be GET, POST or JSON");
                ok = false;
            }
            method_set = true;
        } else {
            char shown[64];
            sim_error(a, 400,
                      "unknown setting '%s' (callback_url, reply_url, platform_callback_url, "
                      "platform_reply_url, callback_method)",
                      sg_sim_echo(key, shown, sizeof shown));
            ok = false;
        }
        if (!ok)
            break;
    }
    json_decref(doc);
    if (!ok) {
        for (int i = 0; i < CFG_N; i++)
            free(urls[i]);
        if (!a->body)
            sim_error(a, 500, "out of memory");
        return;
    }
    pthread_mutex_lock(&s->cfg.lock);
    for (int i = 0; i < CFG_N; i++) {
        if (set[i]) {
            free(s->cfg.urls[i]);
            s->cfg.urls[i] = urls[i];
        }
    }
    if (method_set)
        s->cfg.method = method;
    pthread_mutex_unlock(&s->cfg.lock);
    json_t *c = config_json(&s->cfg, !s->no_callbacks);
    char *dump = c ? json_dumps(c, JSON_COMPACT) : NULL;
    sg_log(SG_LOG_INFO, "sim_config", "config=%s", dump ? dump : "?");
    free(dump);
    answer_json(a, 200, c);
}

static void handle_sim(sg_ck_sim *s, struct MHD_Connection *conn, request *r, const char *method,
                       answer *a)
{
    bool get = strcmp(method, "GET") == 0, del = strcmp(method, "DELETE") == 0;
    if (r->route == ROUTE_SIM_MESSAGES && get) {
        list_messages(s, conn, a);
    } else if (r->route == ROUTE_SIM_MESSAGES && del) {
        sg_sim_ring_clear(&s->records);
        answer_json(a, 200, json_pack("{s:b}", "cleared", 1));
    } else if (r->route == ROUTE_SIM_STATS && get) {
        answer_json(a, 200,
                    json_pack("{s:I, s:I, s:I, s:I}", "accepted",
                              (json_int_t)atomic_load(&s->accepted), "rejected",
                              (json_int_t)atomic_load(&s->rejected), "injected_5xx",
                              (json_int_t)atomic_load(&s->injected_5xx), "unauthorized",
                              (json_int_t)atomic_load(&s->unauthorized)));
    } else if (r->route == ROUTE_SIM_STATS && del) {
        atomic_store(&s->accepted, 0);
        atomic_store(&s->rejected, 0);
        atomic_store(&s->injected_5xx, 0);
        atomic_store(&s->unauthorized, 0);
        answer_json(a, 200, json_pack("{s:b}", "cleared", 1));
    } else if (r->route == ROUTE_SIM_CALLBACKS && get) {
        const char *id = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "message_id");
        answer_json(a, 200, sg_sim_sender_records(s->sender, id && *id ? id : NULL));
    } else if (r->route == ROUTE_SIM_CALLBACKS && del) {
        sg_sim_sender_clear(s->sender);
        answer_json(a, 200, json_pack("{s:b}", "cleared", 1));
    } else if (r->route == ROUTE_SIM_CONFIG && get) {
        answer_json(a, 200, config_json(&s->cfg, !s->no_callbacks));
    } else if (r->route == ROUTE_SIM_CONFIG && strcmp(method, "POST") == 0) {
        set_config(s, r, a);
    } else {
        a->header = MHD_HTTP_HEADER_ALLOW;
        a->header_value = r->route == ROUTE_SIM_CONFIG ? "GET, POST" : "GET, DELETE";
        sim_error(a, 405, "method not allowed");
    }
}

/* ---- POST /sim/inbound -------------------------------------------------------------- */

static struct MHD_Response *make_response(answer *a)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(a->len, a->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(a->body);
        return NULL;
    }
    a->body = NULL;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
    if (a->header)
        MHD_add_response_header(resp, a->header, a->header_value);
    return resp;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
                             struct MHD_Response *resp)
{
    if (!resp)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void inbound_suspend(void *ctx)
{
    request *r = ctx;
    MHD_suspend_connection(r->conn);
}

/* From the sender's thread: the reply finished (or the simulator stops). */
static void inbound_done(void *ctx, const sg_sim_result *res)
{
    request *r = ctx;
    answer a = {0};
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:o}", "message_id", r->inbound_id, "api",
        r->inbound_platform ? "platform" : "legacy", "method", r->inbound_method, "url",
        r->inbound_url, "http_status",
        res->http_status ? json_integer(res->http_status) : json_null(), "content_type",
        res->http_status && res->content_type[0] ? json_string(res->content_type) : json_null(),
        "body", res->http_status ? sg_sim_json_text(res->body, res->body_len) : json_null(),
        "truncated", res->http_status && res->truncated, "error",
        res->http_status ? json_null() : json_string(res->error ? res->error : "transport error"));
    answer_json(&a, res->http_status ? 200 : 502, doc);
    r->pending = make_response(&a);
    r->pending_status = a.status;
    MHD_resume_connection(r->conn);
}

/* The newest platform message to number: the MT a reply from number answers. */
typedef struct last_to {
    const char *number;
} last_to;

static bool platform_to(const void *item, const void *ctx)
{
    const ck_message *m = item;
    return m->platform && strcmp(m->to, ((const last_to *)ctx)->number) == 0;
}

/* POST /sim/inbound: validate, build the reply, hand it to the sender and suspend
 * the connection until it is answered. True when suspended; otherwise a holds the
 * answer. */
static bool handle_inbound(sg_ck_sim *s, struct MHD_Connection *conn, request *r, answer *a)
{
    json_error_t jerr;
    json_t *doc = json_loadb(sg_buf_cstr(&r->body), r->body.len, 0, &jerr);
    if (r->too_large) {
        json_decref(doc);
        sim_error(a, 413, "the body is larger than %d bytes", BODY_MAX);
        return false;
    }
    if (!doc || !json_is_object(doc)) {
        json_decref(doc);
        sim_error(a, 400,
                  "the body must be a JSON object: {\"from\", \"to\", \"text\", \"api\", \"url\"}");
        return false;
    }
    static const char *const known[] = {
        "api",     "url",     "method",           "from",      "to",  "text",
        "body",    "charset", "message_id",       "timestamp", "udh", "network",
        "keyword", "api_id",  "integration_name", NULL};
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        bool found = false;
        for (size_t i = 0; known[i]; i++)
            found = found || strcmp(key, known[i]) == 0;
        if (!found) {
            char shown[64];
            sim_error(a, 400, "unknown field '%s'", sg_sim_echo(key, shown, sizeof shown));
            json_decref(doc);
            return false;
        }
    }
    const char *api, *url, *method, *from, *to, *text, *body, *charset, *message_id, *timestamp,
        *udh, *network, *keyword, *api_id, *integration;
    bool ok = member_text(doc, "api", 16, false, &api) &&
              member_text(doc, "url", SG_SIM_URL_MAX, false, &url) &&
              member_text(doc, "method", 8, false, &method) &&
              member_text(doc, "from", 64, false, &from) &&
              member_text(doc, "to", 64, false, &to) &&
              member_text(doc, "text", BODY_MAX, true, &text) &&
              member_text(doc, "body", BODY_MAX, true, &body) &&
              member_text(doc, "charset", 32, false, &charset) &&
              member_text(doc, "message_id", 64, true, &message_id) &&
              member_text(doc, "timestamp", 64, false, &timestamp) &&
              member_text(doc, "udh", 512, true, &udh) &&
              member_text(doc, "network", 64, true, &network) &&
              member_text(doc, "keyword", 64, true, &keyword) &&
              member_text(doc, "api_id", 64, true, &api_id) &&
              member_text(doc, "integration_name", 128, true, &integration);
    if (!ok) {
        sim_error(a, 400,
                  "every field must be a string without NUL of sensible length "
                  "('from', 'to', 'url', 'method', 'charset' not empty)");
        json_decref(doc);
        return false;
    }
    sg_ck_reply p = {0};
    sg_ck_method cfg_method;
    char *cfg_url = NULL;
    const char *why = NULL;
    if (api && strcmp(api, "legacy") != 0 && strcmp(api, "platform") != 0)
        why = "'api' must be legacy or platform";
    p.platform = api && strcmp(api, "platform") == 0;
    if (!why) {
        cfg_url = config_url(&s->cfg, CFG_REPLY, p.platform, &cfg_method);
        p.method = cfg_method;
    }
    if (why) {
    } else if (!from || !to) {
        why = "'from' and 'to' are required";
    } else if (text && body) {
        why = "give 'text' or 'body', not both";
    } else if (url && !sg_sim_url_ok(url)) {
        why = "'url' must be an http:// or https:// URL";
    } else if (!url && !cfg_url) {
        why = "no reply URL: give 'url', or set reply_url (--reply-url or POST /sim/config)";
    } else if (method && !sg_ck_method_parse(method, &p.method)) {
        why = "'method' must be GET, POST or JSON";
    } else if (method && p.platform && p.method == SG_CK_GET) {
        why = "platform replies are JSON POSTs: leave 'method' out";
    }
    if (!text)
        text = body ? body : "";
    sg_sms_info info;
    if (!why && sg_sms_analyze(text, strlen(text), &info) == SG_TEXT_TOO_LONG)
        why = "'text' is longer than 1600 characters";
    if (why) {
        sim_error(a, 400, "%s", why);
        free(cfg_url);
        json_decref(doc);
        return false;
    }
    if (p.platform)
        p.method = SG_CK_JSON;
    p.url = url ? url : cfg_url;
    p.api_id = api_id ? api_id : s->api_id;
    p.integration_name = integration ? integration : s->integration_name;
    p.from = from;
    p.to = to;
    p.text = text;
    p.charset = charset;
    p.timestamp = timestamp;
    p.udh = udh;
    p.network = network;
    p.keyword = keyword;
    /* Platform: the reply answers the newest message sent to its sender, as
     * Clickatell relates them, unless message_id says otherwise ("" for null). */
    char related[SG_CK_ID_LEN + 1] = "";
    if (p.platform && !message_id) {
        void **items;
        size_t n;
        uint64_t total;
        last_to lt = {from};
        if (sg_sim_ring_snapshot(&s->records, platform_to, &lt, &items, &n, &total)) {
            if (n)
                snprintf(related, sizeof related, "%s", ((ck_message *)items[n - 1])->id);
            for (size_t i = 0; i < n; i++)
                message_unref(items[i]);
            free(items);
        }
    }
    p.message_id = message_id ? (*message_id ? message_id : NULL) : related[0] ? related : NULL;

    sg_ck_request req;
    char why_buf[160];
    ok = sg_ck_reply_request(&p, r->inbound_id, &req, why_buf, sizeof why_buf);
    if (!ok) {
        free(cfg_url);
        json_decref(doc);
        sim_error(a, 400, "%s", why_buf);
        return false;
    }
    r->inbound_platform = p.platform;
    r->inbound_method = p.platform ? "JSON" : sg_ck_method_name(p.method);
    r->inbound_url = strdup(p.url); /* p's strings point into doc and cfg_url */
    free(cfg_url);
    json_decref(doc);
    if (!r->inbound_url) {
        sg_ck_request_free(&req);
        sim_error(a, 500, "out of memory");
        return false;
    }
    r->conn = conn;
    r->delayed = true;
    char *reqbody = req.body;
    req.body = NULL;
    bool queued = sg_sim_sender_send(s->sender, &req.http, req.url, reqbody, inbound_suspend,
                                     inbound_done, r);
    sg_ck_request_free(&req);
    if (queued) {
        sg_log(SG_LOG_INFO, "sim_inbound", "id=%s api=%s", r->inbound_id,
               p.platform ? "platform" : "legacy");
        return true;
    }
    r->delayed = false;
    sim_error(a, 503, "the simulator is stopping or has too many requests in flight");
    return false;
}

/* ---- the server --------------------------------------------------------------------- */

static route route_of(const char *url)
{
    static const struct {
        const char *path;
        route route;
    } routes[] = {
        {"/http/sendmsg", ROUTE_LEGACY_SEND},
        {"/messages", ROUTE_PLATFORM_SEND},
        {"/messages/http/send", ROUTE_PLATFORM_HTTP},
        {"/sim/messages", ROUTE_SIM_MESSAGES},
        {"/sim/stats", ROUTE_SIM_STATS},
        {"/sim/callbacks", ROUTE_SIM_CALLBACKS},
        {"/sim/config", ROUTE_SIM_CONFIG},
        {"/sim/inbound", ROUTE_SIM_INBOUND},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(url, routes[i].path) == 0)
            return routes[i].route;
    }
    return ROUTE_NOT_FOUND;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    sg_ck_sim *s = cls;
    request *r = *con_cls;
    answer a = {0};

    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        sg_buf_init(&r->body, BODY_MAX);
        r->route = route_of(url);
        *con_cls = r;
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > BODY_MAX)
            r->too_large = true;
        /* Refuse an oversized upload to the API before reading it. */
        if (r->too_large && api_route(r->route)) {
            atomic_fetch_add(&s->rejected, 1);
            if (r->route == ROUTE_LEGACY_SEND)
                answer_text(&a, 413, "Request Entity Too Large");
            else
                platform_error(&a, 413, 24, "The request body is larger than %d bytes", BODY_MAX);
            r->answered = true;
            return queue(conn, a.status, make_response(&a));
        }
        return MHD_YES;
    }
    if (r->answered) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_large && sg_buf_append(&r->body, upload_data, *upload_size) != SG_OK)
            r->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->delayed) { /* resumed by the delay thread or the sender */
        struct MHD_Response *resp = r->pending;
        r->pending = NULL;
        r->delayed = false;
        r->answered = true;
        return queue(conn, r->pending_status, resp);
    }

    switch (r->route) {
    case ROUTE_LEGACY_SEND:
        handle_legacy(s, conn, r, method, &a);
        break;
    case ROUTE_PLATFORM_SEND:
        handle_platform_rest(s, conn, r, method, &a);
        break;
    case ROUTE_PLATFORM_HTTP:
        handle_platform_http(s, conn, method, &a);
        break;
    case ROUTE_SIM_MESSAGES:
    case ROUTE_SIM_STATS:
    case ROUTE_SIM_CALLBACKS:
    case ROUTE_SIM_CONFIG:
        handle_sim(s, conn, r, method, &a);
        break;
    case ROUTE_SIM_INBOUND:
        if (strcmp(method, "POST") != 0) {
            a.header = MHD_HTTP_HEADER_ALLOW;
            a.header_value = "POST";
            sim_error(&a, 405, "method not allowed");
        } else if (handle_inbound(s, conn, r, &a)) {
            return MHD_YES; /* suspended until the reply is answered */
        }
        break;
    default:
        if (strncmp(url, "/sim/", 5) == 0)
            sim_error(&a, 404, "not found");
        else
            answer_text(&a, 404, "Not Found");
    }
    sg_buf_free(&r->body);
    struct MHD_Response *resp = make_response(&a);
    if (resp && api_route(r->route) && s->latency_ms) {
        r->pending = resp;
        r->pending_status = a.status;
        r->delayed = true;
        if (sg_sim_delays_add(&s->delays, conn, s->latency_ms))
            return MHD_YES;
        r->pending = NULL;
        r->delayed = false;
    }
    r->answered = true;
    return queue(conn, a.status, resp);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    request *r = *con_cls;
    if (!r)
        return;
    if (r->pending)
        MHD_destroy_response(r->pending);
    sg_buf_free(&r->body);
    free(r->inbound_url);
    free(r);
    *con_cls = NULL;
}

static void free_secret(char *p)
{
    if (p) {
        sodium_memzero(p, strlen(p));
        free(p);
    }
}

void sg_ck_sim_destroy(sg_ck_sim *s)
{
    if (!s)
        return;
    /* As the Twilio simulator: resume every suspended request before MHD stops. */
    sg_sim_sender_stop(s->sender);
    sg_sim_delays_free(&s->delays);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    sg_sim_sender_free(s->sender);
    for (size_t i = 0; s->undelivered && i < s->n_undelivered; i++)
        free(s->undelivered[i]);
    free(s->undelivered);
    sg_sim_ring_free(&s->records);
    for (int i = 0; i < CFG_N; i++)
        free(s->cfg.urls[i]);
    pthread_mutex_destroy(&s->cfg.lock);
    free_secret(s->username);
    free_secret(s->password);
    free_secret(s->api_key);
    free(s);
}

sg_err sg_ck_sim_new(const sg_ck_sim_options *o, const struct sockaddr *addr, sg_ck_sim **out,
                     sg_error *e)
{
    *out = NULL;
    sg_ck_sim *s = calloc(1, sizeof *s);
    if (!s)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    pthread_mutex_init(&s->cfg.lock, NULL);
    s->username = strdup(o->username);
    s->password = strdup(o->password);
    s->api_key = strdup(o->api_key);
    snprintf(s->api_id, sizeof s->api_id, "%s", o->api_id);
    snprintf(s->integration_name, sizeof s->integration_name, "%s", o->integration_name);
    s->latency_ms = o->latency_ms;
    s->rate_5xx = o->rate_5xx;
    s->seed = o->seed;
    s->no_callbacks = o->no_callbacks;
    s->sent_delay_ms = o->sent_delay_ms;
    s->delivered_delay_ms = o->delivered_delay_ms;
    s->duplicate = o->duplicate_callbacks;
    s->reorder = o->reorder_callbacks;
    atomic_init(&s->draws, 0);
    atomic_init(&s->accepted, 0);
    atomic_init(&s->rejected, 0);
    atomic_init(&s->injected_5xx, 0);
    atomic_init(&s->unauthorized, 0);
    s->hooks = (sg_sim_plan_hooks){message_ref, message_unref, build_callback, s};
    s->cfg.method = o->callback_method;
    const char *urls[CFG_N] = {o->callback_url, o->reply_url, o->platform_callback_url,
                               o->platform_reply_url};
    bool ok = s->username && s->password && s->api_key;
    for (int i = 0; i < CFG_N; i++) {
        if (urls[i] && *urls[i] && !(s->cfg.urls[i] = strdup(urls[i])))
            ok = false;
    }
    s->undelivered = calloc(o->n_undelivered ? o->n_undelivered : 1, sizeof *s->undelivered);
    ok = ok && s->undelivered;
    for (size_t i = 0; ok && i < o->n_undelivered; i++) {
        const char *n = o->undelivered_numbers[i];
        if (!(s->undelivered[i] = strdup(n[0] == '+' ? n + 1 : n)))
            ok = false;
        s->n_undelivered = i + 1;
    }
    ok = sg_sim_ring_init(&s->records, SG_CK_SIM_MAX_RECORDS, message_ref, message_unref) && ok;
    ok = sg_sim_delays_init(&s->delays, SG_SIM_CONNECTIONS_MAX) && ok;
    if (!ok) {
        sg_ck_sim_destroy(s);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    }
    sg_sim_sender_options so = {
        .auth_token = "",
        .id_key = "message_id",
        .code_key = "status_code",
    };
    if (!(s->sender = sg_sim_sender_new(&so, e))) {
        sg_ck_sim_destroy(s);
        return e ? e->err : SG_ERR_INTERNAL;
    }
    if (!sg_sim_delays_start(&s->delays)) {
        sg_ck_sim_destroy(s);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the delay thread");
    }
    s->daemon = sg_sim_start_daemon(addr, handle, s, completed, &s->port);
    if (!s->daemon) {
        sg_ck_sim_destroy(s);
        return sg_error_set(e, SG_ERR_IO, NULL, "cannot listen (is the port already taken?)");
    }
    *out = s;
    return SG_OK;
}

uint16_t sg_ck_sim_port(const sg_ck_sim *s)
{
    return s->port;
}

/* ---- command line ------------------------------------------------------------------- */

#define CMD "smsgate simulate clickatell"

/* The command line as given; checked and turned into sg_ck_sim_options by
 * check_args, with one error line per bad value. */
typedef struct sim_args {
    const char *listen, *username, *password, *api_id, *api_key, *integration_name;
    const char *latency_ms, *rate_5xx, *seed, *log_level;
    const char *callback_url, *reply_url, *platform_callback_url, *platform_reply_url;
    const char *callback_method, *callbacks, *sent_delay_ms, *delivered_delay_ms;
    sg_opt_list undelivered;
    bool duplicate, reorder;
} sim_args;

#define A(field) offsetof(sim_args, field)
#define MAX_MS   SG_OPT_TEXT_OF(LATENCY_MAX_MS)
static const sg_opt sim_opts[] = {
    {"listen", NULL, SG_CK_SIM_DEFAULT_LISTEN, SG_OPT_ARG, A(listen), 0, "ADDR:PORT",
     "loopback address to listen on (127.0.0.0/8 or [::1]);\nport 0 picks a free port"},
    {"username", NULL, SG_CK_SIM_DEFAULT_USERNAME, SG_OPT_ARG, A(username), 0, "USER",
     "legacy API user"},
    {"password", NULL, SG_CK_SIM_DEFAULT_PASSWORD, SG_OPT_ARG, A(password), 0, "PASSWORD",
     "legacy API password"},
    {"api-id", NULL, SG_CK_SIM_DEFAULT_API_ID, SG_OPT_ARG, A(api_id), 0, "ID", "legacy API api_id"},
    {"api-key", NULL, SG_CK_SIM_DEFAULT_API_KEY, SG_OPT_ARG, A(api_key), 0, "KEY",
     "Platform integration API key"},
    {"integration-name", NULL, SG_CK_SIM_DEFAULT_INTEGRATION, SG_OPT_ARG, A(integration_name), 0,
     "NAME", "in Platform callbacks and replies"},
    {"latency-ms", NULL, "0", SG_OPT_ARG, A(latency_ms), 0, "N",
     "delay before each API answer, 0.." MAX_MS},
    {"rate-5xx", NULL, "0", SG_OPT_ARG, A(rate_5xx), 0, "P",
     "probability 0..1 of answering 500 or 503"},
    {"seed", NULL, NULL, SG_OPT_ARG, A(seed), 0, "N",
     "seed for --rate-5xx, for repeatable runs\n(default: random)"},
    {"log-level", NULL, "info", SG_OPT_ARG, A(log_level), 0, "LEVEL", "error|warn|info|debug"},
    SG_OPT_HEADING("the portal's settings (also POST /sim/config at run time):"),
    {"callback-url", NULL, NULL, SG_OPT_ARG, A(callback_url), 0, "URL",
     "where delivery callbacks go (default: none)"},
    {"reply-url", NULL, NULL, SG_OPT_ARG, A(reply_url), 0, "URL",
     "where replies go (default: none)"},
    {"platform-callback-url", NULL, NULL, SG_OPT_ARG, A(platform_callback_url), 0, "URL",
     "the same for the Platform API\n(default: --callback-url)"},
    {"platform-reply-url", NULL, NULL, SG_OPT_ARG, A(platform_reply_url), 0, "URL",
     "the same for the Platform API\n(default: --reply-url)"},
    {"callback-method", NULL, "GET", SG_OPT_ARG, A(callback_method), 0, "M",
     "GET, POST (form) or JSON: legacy callbacks and\nreplies (Platform ones are always JSON "
     "POSTs)"},
    SG_OPT_HEADING("delivery callbacks:"),
    {"callbacks", NULL, "on", SG_OPT_ARG, A(callbacks), 0, "on|off", "send them"},
    {"sent-delay-ms", NULL, SG_OPT_TEXT_OF(SG_CK_SIM_DEFAULT_SENT_DELAY_MS), SG_OPT_ARG,
     A(sent_delay_ms), 0, "N", "from the API's answer to 003\nDELIVERED_TO_GATEWAY, 0.." MAX_MS},
    {"delivered-delay-ms", NULL, SG_OPT_TEXT_OF(SG_CK_SIM_DEFAULT_DELIVERED_DELAY_MS), SG_OPT_ARG,
     A(delivered_delay_ms), 0, "N", "from 003 to 004 RECEIVED_BY_RECIPIENT,\n0.." MAX_MS},
    {"undelivered", NULL, NULL, SG_OPT_LIST, A(undelivered), 0, "LIST",
     "comma-separated numbers (digits) that end 007\nERROR_DELIVERING_MESSAGE instead of 004 "
     "(the\nflag may repeat)"},
    {"duplicate-callbacks", NULL, NULL, SG_OPT_BOOL, A(duplicate), 0, NULL,
     "send every callback twice"},
    {"reorder-callbacks", NULL, NULL, SG_OPT_BOOL, A(reorder), 0, NULL,
     "send the final status before 003"},
    SG_OPT_END,
};
#undef A

static const sg_cmd_spec sim_spec = {
    CMD " [options]",
    "A stand-in for Clickatell on loopback, both APIs:\n"
    "  legacy HTTP API  GET|POST /http/sendmsg  (user, password, api_id; 'ID: ...' or\n"
    "                   'ERR: NNN, ...' in text/plain, always HTTP 200)\n"
    "  Platform API     POST /messages  (Authorization: <API key>, JSON)\n"
    "                   GET  /messages/http/send?apiKey=...&to=...&content=...\n"
    "with Clickatell's error codes, magic numbers (a 'to' ending in 0000 cannot be\n"
    "routed) and failure injection. Accepted messages get unsigned delivery callbacks\n"
    "to the portal's callback URL (legacy: only with callback=1..7 on the request).\n"
    "For tests: GET/DELETE /sim/messages, /sim/stats and /sim/callbacks; GET/POST\n"
    "/sim/config sets the callback and reply URLs at run time; POST /sim/inbound\n"
    "sends a reply (docs/internals/simulator.md).\n"
    "Prints 'listening http://ADDR:PORT' on stdout once ready; stops on SIGINT or\n"
    "SIGTERM. Exit status: 0 after a signal, 1 when it cannot listen, 2 on a usage\n"
    "error.",
    sim_opts,
    0,
    0,
};

static bool number_ok(const char *s)
{
    return sg_ck_msisdn_ok(s[0] == '+' ? s + 1 : s);
}

static bool printable(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    }
    return true;
}

/* The credentials and names: printable text of bounded length. */
static int check_texts(const sim_args *a, sg_ck_sim_options *o)
{
    static const struct {
        const char *flag;
        size_t offset, max;
        size_t out;
    } rows[] = {
        {"--username", offsetof(sim_args, username), SECRET_MAX,
         offsetof(sg_ck_sim_options, username)},
        {"--password", offsetof(sim_args, password), SECRET_MAX,
         offsetof(sg_ck_sim_options, password)},
        {"--api-id", offsetof(sim_args, api_id), 32, offsetof(sg_ck_sim_options, api_id)},
        {"--api-key", offsetof(sim_args, api_key), SECRET_MAX,
         offsetof(sg_ck_sim_options, api_key)},
        {"--integration-name", offsetof(sim_args, integration_name), 100,
         offsetof(sg_ck_sim_options, integration_name)},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *v = *(const char *const *)((const char *)a + rows[i].offset);
        if (!printable(v, rows[i].max))
            return sg_opts_usage_error(CMD, "%s must be 1 to %zu printable characters",
                                       rows[i].flag, rows[i].max);
        *(const char **)((char *)o + rows[i].out) = v;
    }
    return 0;
}

/* The portal's URLs, each an http:// or https:// URL when given. */
static int check_urls(const sim_args *a, sg_ck_sim_options *o)
{
    const struct {
        const char *flag, *value;
        const char **out;
    } rows[] = {
        {"--callback-url", a->callback_url, &o->callback_url},
        {"--reply-url", a->reply_url, &o->reply_url},
        {"--platform-callback-url", a->platform_callback_url, &o->platform_callback_url},
        {"--platform-reply-url", a->platform_reply_url, &o->platform_reply_url},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].value && !sg_sim_url_ok(rows[i].value))
            return sg_opts_usage_error(CMD,
                                       "%s must be an http:// or https:// URL (at most %d bytes)",
                                       rows[i].flag, SG_SIM_URL_MAX);
        *rows[i].out = rows[i].value;
    }
    if (!sg_ck_method_parse(a->callback_method, &o->callback_method))
        return sg_opts_usage_error(CMD, "--callback-method must be GET, POST or JSON");
    return 0;
}

static int check_ms(const char *flag, const char *text, uint64_t max, unsigned *out)
{
    uint64_t v;
    if (!sg_sim_parse_u64(text, max, &v))
        return sg_opts_usage_error(CMD, "%s must be a whole number 0..%llu", flag,
                                   (unsigned long long)max);
    *out = (unsigned)v;
    return 0;
}

static int check_behaviour(const sim_args *a, sg_ck_sim_options *o)
{
    int rc = check_ms("--latency-ms", a->latency_ms, LATENCY_MAX_MS, &o->latency_ms);
    if (!rc && !sg_sim_parse_probability(a->rate_5xx, &o->rate_5xx))
        rc = sg_opts_usage_error(CMD, "--rate-5xx must be a probability between 0 and 1");
    if (!rc && a->seed && !sg_sim_parse_u64(a->seed, UINT64_MAX, &o->seed))
        rc = sg_opts_usage_error(CMD, "--seed must be a whole number");
    if (!rc && !a->seed)
        o->seed = ((uint64_t)sg_random_u32() << 32) | sg_random_u32();
    if (!rc && strcmp(a->callbacks, "on") != 0 && strcmp(a->callbacks, "off") != 0)
        rc = sg_opts_usage_error(CMD, "--callbacks must be on or off");
    o->no_callbacks = strcmp(a->callbacks, "off") == 0;
    o->duplicate_callbacks = a->duplicate;
    o->reorder_callbacks = a->reorder;
    if (!rc)
        rc = check_ms("--sent-delay-ms", a->sent_delay_ms, DELAY_MAX_MS, &o->sent_delay_ms);
    if (!rc)
        rc = check_ms("--delivered-delay-ms", a->delivered_delay_ms, DELAY_MAX_MS,
                      &o->delivered_delay_ms);
    return rc;
}

static int check_args(const sim_args *a, sg_ck_sim_options *o, sg_sim_number_list *undelivered,
                      sg_log_level *level)
{
    int rc = check_texts(a, o);
    if (!rc)
        rc = check_behaviour(a, o);
    if (!rc)
        rc = check_urls(a, o);
    char why[160];
    for (size_t i = 0; !rc && i < a->undelivered.n; i++) {
        if (!sg_sim_number_list_add(undelivered, "--undelivered", a->undelivered.items[i],
                                    number_ok, "is not a number (2-15 digits, no leading 0)", why,
                                    sizeof why))
            rc = sg_opts_usage_error(CMD, "%s", why);
    }
    if (!rc && !sg_log_level_parse(a->log_level, level))
        rc = sg_opts_usage_error(CMD, "--log-level must be error, warn, info or debug");
    o->undelivered_numbers = undelivered->numbers;
    o->n_undelivered = undelivered->n;
    return rc;
}

static int sim_main(int argc, char **argv, sg_sim_number_list *undelivered);

int sg_ck_sim_main(int argc, char **argv)
{
    sg_sim_number_list undelivered = {0};
    int rc = sim_main(argc, argv, &undelivered);
    sg_sim_number_list_free(&undelivered);
    return rc;
}

static int sim_main(int argc, char **argv, sg_sim_number_list *undelivered)
{
    sim_args a = {0};
    char **rest = NULL;
    size_t n_rest = 0;
    int rc = sg_opts_parse_cmd(CMD, &sim_spec, &a, argc, argv, &rest, &n_rest);
    free(rest);
    if (rc)
        return rc == SG_OPTS_HELP ? SG_SIM_EXIT_OK : rc;
    sg_ck_sim_options o = {0};
    sg_log_level level = SG_LOG_INFO;
    rc = check_args(&a, &o, undelivered, &level);
    if (rc)
        return rc;
    const char *listen = a.listen;
    char why[160];
    struct sockaddr_storage addr;
    if (!sg_sim_parse_listen(listen, SG_CK_SIM_DEFAULT_LISTEN, &addr, why, sizeof why))
        return sg_opts_usage_error(CMD, "%s", why);
    sg_log_set_level(level);

    /* Signals are taken by sg_sim_wait_signal below; every thread started from here
     * on inherits the mask. */
    sigset_t sigs;
    sg_sim_block_signals(&sigs);
    sg_sim_raise_fd_limit();
    curl_global_init(CURL_GLOBAL_DEFAULT);

    sg_ck_sim *sim;
    sg_error e;
    sg_error_clear(&e);
    if (sg_ck_sim_new(&o, (struct sockaddr *)&addr, &sim, &e) != SG_OK) {
        fprintf(stderr, "smsgate simulate clickatell: %s: %s\n", listen, e.message);
        curl_global_cleanup();
        return SG_SIM_EXIT_FAIL;
    }
    sg_sim_print_listening(&addr, sg_ck_sim_port(sim));
    sg_log(SG_LOG_INFO, "sim_listen",
           "kind=clickatell port=%u username=%s api_id=%s latency_ms=%u rate_5xx=%g seed=%llu "
           "callbacks=%s callback_url=%s reply_url=%s callback_method=%s sent_delay_ms=%u "
           "delivered_delay_ms=%u undelivered=%zu duplicate=%d reorder=%d",
           sg_ck_sim_port(sim), o.username, o.api_id, o.latency_ms, o.rate_5xx,
           (unsigned long long)o.seed, o.no_callbacks ? "off" : "on",
           o.callback_url ? o.callback_url : "none", o.reply_url ? o.reply_url : "none",
           sg_ck_method_name(o.callback_method), o.sent_delay_ms, o.delivered_delay_ms,
           o.n_undelivered, o.duplicate_callbacks, o.reorder_callbacks);
    sg_sim_wait_signal(&sigs);
    sg_ck_sim_destroy(sim);
    curl_global_cleanup();
    return SG_SIM_EXIT_OK;
}

/* The simulator registration of both Clickatell kinds (their .sim): one
 * simulator serves the legacy HTTP and the Platform API. */
const sg_kind_sim sg_clickatell_sim_kind = {
    .name = "clickatell",
    .summary = "Clickatell's legacy HTTP and Platform APIs, delivery callbacks, replies",
    .main = sg_ck_sim_main,
};
